#!/usr/bin/env bash
# Every manual page in man/ renders: groff through man-db prints no warning (-ww: all of them)
# and exits 0, and "man -l PAGE" gives non-empty text holding the page's NAME line. The .TH
# header must name the page's file (OTPD.CONF 5 for otpd.conf.5).
# Usage: man_pages.sh MAN_DIR
set -uo pipefail
man_dir=${1:?usage: man_pages.sh MAN_DIR}
export LC_ALL=C.UTF-8 MANWIDTH=200
unset MANPAGER PAGER MAN_KEEP_FORMATTING

if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
    echo "man_pages: man (man-db) and groff (groff-base) are needed: run scripts/install-deps.sh" >&2
    exit 1
fi

failed=0
fail() { echo "FAIL $page: $*" >&2; failed=1; page_failed=1; }
shopt -s nullglob
pages=("$man_dir"/*.[1-8])
[ ${#pages[@]} -gt 0 ] || { echo "man_pages: no page in $man_dir" >&2; exit 1; }

for page in "${pages[@]}"; do
    page_failed=0
    file=$(basename "$page")
    section=${file##*.}
    name=${file%.*}

    # The header: .TH NAME SECTION, NAME in capitals.
    read -r th th_name th_section _ < <(grep -m1 '^\.TH ' "$page")
    th_name=${th_name//\\-/-}
    [ "${th:-}" = .TH ] || fail "no .TH line"
    [ "${th_name:-}" = "${name^^}" ] || fail ".TH names '${th_name:-}', expected '${name^^}'"
    [ "${th_section:-}" = "$section" ] || fail ".TH gives section '${th_section:-}', expected '$section'"

    # Warnings: man-db's own pipeline (preprocessors, groff) with every groff warning on.
    warnings=$(man --warnings=all -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
    status=$?
    [ $status -eq 0 ] || fail "man --warnings exited with $status"
    [ -z "$warnings" ] || fail "warnings:
$warnings"
    # And groff alone, the way lintian checks pages.
    warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
    status=$?
    [ $status -eq 0 ] || fail "groff -ww exited with $status"
    [ -z "$warnings" ] || fail "groff warnings:
$warnings"

    # The rendered text, and the NAME line in it ("otpd \- kotp ..." renders "otpd - kotp ...").
    text=$(man -l "$page" 2>&1)
    status=$?
    [ $status -eq 0 ] || fail "man -l exited with $status: $text"
    [ -n "${text//[[:space:]]/}" ] || fail "man -l rendered nothing"
    name_line=$(awk '/^\.SH NAME/ { getline; print; exit }' "$page")
    [ -n "$name_line" ] || fail "no line after .SH NAME"
    [[ $name_line == "$name "* || $name_line == "${name//-/\\-} "* ]] ||
        fail "the NAME line does not start with the page's name: $name_line"
    want=$(sed -e 's/\\-/-/g' -e 's/\\(em/—/g' <<<"$name_line" | tr -s ' ')
    got=$(sed -e 's/[‐−]/-/g' <<<"$text" | tr -s ' \n' '  ')
    [[ $got == *"$want"* ]] || fail "the rendered text lacks the NAME line '$want':
$text"
    [ $page_failed -eq 0 ] && echo "ok $file"
done
exit $failed
