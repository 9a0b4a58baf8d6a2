#!/usr/bin/env bash
# Runs last on the test system: "apt-get purge" of the three packages leaves no /var/lib/otpd
# (database, master key), no /etc/kotp, no kotp line anywhere in /etc/pam.d and no unit or enable
# link behind. Purging while the profile is on is the harder case, so it is switched on first.
source "$(dirname "$0")/common.sh"
use_test_system "$@"

in_root pam-auth-update --enable kotp
grep -q pam_kotp "$E2E_ROOT/etc/pam.d/common-auth" || fail "pam-auth-update --enable kotp did not add the line"
[ -d "$E2E_ROOT/var/lib/otpd" ] || fail "no /var/lib/otpd before the purge"

say "apt-get purge otpd kotp-admin libpam-kotp"
in_root DEBIAN_FRONTEND=noninteractive apt-get purge -y otpd kotp-admin libpam-kotp \
    >"$E2E_LOGS/apt-purge.log" 2>&1 || { tail -n 30 "$E2E_LOGS/apt-purge.log" >&2; fail "apt-get purge failed"; }

for p in otpd kotp-admin libpam-kotp; do
    status=$(in_root dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    case "$status" in "" | "un "*| "pn "*) ;; *) fail "$p is still known to dpkg: '$status'" ;; esac
done
[ ! -e "$E2E_ROOT/var/lib/otpd" ] || fail "/var/lib/otpd is still there after purge"
[ ! -e "$E2E_ROOT/etc/kotp" ] || fail "/etc/kotp is still there after purge"
left=$(grep -rl kotp "$E2E_ROOT/etc/pam.d" || true)
[ -z "$left" ] || fail "kotp is still in $left"
for f in /lib/systemd/system/otpd.service /lib/systemd/system/otpd.socket \
    /etc/systemd/system/sockets.target.wants/otpd.socket /usr/share/pam-configs/kotp /usr/sbin/otpd; do
    [ ! -e "$E2E_ROOT$f" ] && [ ! -L "$E2E_ROOT$f" ] || fail "$f is still there after purge"
done
say "purged: no /var/lib/otpd, no /etc/kotp, no kotp line in /etc/pam.d, no units"
