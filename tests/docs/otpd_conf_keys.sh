#!/usr/bin/env bash
# otpd.conf(5) documents every key otpd accepts, and only those:
#   1. each key of the setters() table in otpd/config.cpp has its entry in man/otpd.conf.5,
#      written '.BR key " (default ...'
#   2. otpd itself knows every key the page documents (otpd --check-config with the key set
#      to an empty value answers anything but "unknown key"), so a key removed from otpd, or
#      a table the grep of step 1 no longer reads, fails too.
# Usage: otpd_conf_keys.sh SOURCE_DIR OTPD_BINARY
set -uo pipefail
src=${1:?usage: otpd_conf_keys.sh SOURCE_DIR OTPD_BINARY}
otpd=${2:?usage: otpd_conf_keys.sh SOURCE_DIR OTPD_BINARY}
page=$src/man/otpd.conf.5
failed=0

# The keys of the table: the lines {"key", ...} between setters() and the end of its table.
mapfile -t table_keys < <(awk '/setters\(\)/ { inside = 1 } inside && /^[[:space:]]*};/ { exit }
    inside' "$src/otpd/config.cpp" | sed -nE 's/^[[:space:]]*\{"([a-z0-9_]+)",.*/\1/p')
# Today there are 20; fewer than 15 means the table moved or changed its layout.
if [ ${#table_keys[@]} -lt 15 ]; then
    echo "FAIL: read only ${#table_keys[@]} keys from the setters() table of otpd/config.cpp;" \
         "adapt this test to its layout" >&2
    exit 1
fi

# The keys the page documents, in its KEYS section.
mapfile -t page_keys < <(sed -n '/^\.SH KEYS/,/^\.SH /p' "$page" |
    sed -nE 's/^\.BR ([a-z0-9_]+) " \(default.*/\1/p')

for key in "${table_keys[@]}"; do
    printf '%s\n' "${page_keys[@]}" | grep -qx "$key" ||
        { echo "FAIL: otpd key '$key' is not documented in man/otpd.conf.5 (as .BR $key \" (default ...)" >&2; failed=1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
probe() {  # key -> otpd's answer to "key =" (an empty value)
    printf '%s =\n' "$1" >"$tmp/otpd.conf"
    "$otpd" --check-config --config "$tmp/otpd.conf" --state-dir "$tmp/state" 2>&1
}
# The probe must tell an unknown key from a known one, or it proves nothing.
answer=$(probe no_such_key_for_the_test) || true
grep -q "unknown key" <<<"$answer" ||
    { echo "FAIL: otpd does not report an unknown key as such: $answer" >&2; exit 1; }
for key in "${page_keys[@]}"; do
    answer=$(probe "$key") || true
    grep -q "unknown key" <<<"$answer" &&
        { echo "FAIL: man/otpd.conf.5 documents '$key', which otpd does not know: $answer" >&2; failed=1; }
done

[ $failed -eq 0 ] && echo "ok: ${#table_keys[@]} keys in otpd's table, ${#page_keys[@]} documented, otpd knows them all"
exit $failed
