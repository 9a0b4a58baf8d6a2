#!/usr/bin/env bash
# systemd-analyze security --offline=yes on the otpd.service shipped in the package: overall
# exposure 2.0 or lower. Also the unit facts DESIGN section 8 fixes: socket-activated, no
# RuntimeDirectory= (the socket unit owns /run/otpd), no PrivateUsers= (otpd needs its callers'
# real uids from SO_PEERCRED).
source "$(dirname "$0")/common.sh"
need_debs
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (package systemd): run scripts/install-deps.sh"
tree=$(mktemp -d)
at_exit "rm -rf '$tree'"
dpkg-deb -x "$(ls "$E2E_DEBS"/otpd_*_*.deb | grep -v dbgsym)" "$tree"
unit=$tree/lib/systemd/system/otpd.service
socket=$tree/lib/systemd/system/otpd.socket

report=$(systemd-analyze security --offline=yes "$unit" 2>&1) || true
printf '%s\n' "$report" | grep -v '✓' >&2
score=$(sed -n 's/.*Overall exposure level for otpd.service: \([0-9.]*\).*/\1/p' <<<"$report")
[ -n "$score" ] || fail "systemd-analyze printed no overall exposure"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "overall exposure $score is above 2.0"
say "overall exposure $score (limit 2.0)"

grep -qx 'Type=notify' "$unit" || fail "otpd.service is not Type=notify"
grep -qx 'User=_otpd' "$unit" || fail "otpd.service does not run as _otpd"
grep -q '^RuntimeDirectory=' "$unit" && fail "otpd.service has RuntimeDirectory=; the socket unit owns /run/otpd"
grep -q '^PrivateUsers=\(yes\|true\|1\|on\)' "$unit" && fail "PrivateUsers= hides callers' uids from SO_PEERCRED"
grep -qx 'ListenStream=/run/otpd/otpd.sock' "$socket" || fail "otpd.socket does not listen on /run/otpd/otpd.sock"
grep -qx 'SocketMode=0666' "$socket" || fail "otpd.socket is not SocketMode=0666 (users' kotp and screen lockers connect)"
say "unit facts hold"
