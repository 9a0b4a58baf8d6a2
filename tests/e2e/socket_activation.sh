#!/usr/bin/env bash
# The installed otpd, started from its units the way systemd does (systemd-socket-activate):
# nothing runs until the first connection, otpd then runs as _otpd on the passed socket, creates
# its master key 0600 in its state folder, and tells root, an admin-group member and an
# ordinary user apart by SO_PEERCRED. A restart keeps the key and the enrolments.
source "$(dirname "$0")/common.sh"
use_test_system "$@"

add_user() {  # name [group]
    in_root id "$1" >/dev/null 2>&1 || in_root useradd -m -s /bin/bash "$1"
    if [ -n "${2:-}" ]; then in_root usermod -a -G "$2" "$1"; fi
}
as_user() {  # name command...
    local who=$1
    shift
    in_root setpriv --reuid="$who" --regid="$who" --init-groups -- "$@"
}

add_user erin
add_user dave kotp-admin

start_otpd
[ "$(comm_of "$OTPD_PID")" = systemd-socket- ] || fail "otpd started before any connection ($(comm_of "$OTPD_PID"))"
sock=$(in_root stat -c '%U %a' "$OTPD_SOCKET")
[ "$sock" = "root 666" ] || fail "socket is '$sock', expected 'root 666' as otpd.socket says"
[ "$(in_root stat -c '%a' /run/otpd)" = 755 ] || fail "/run/otpd is not 0755"
[ ! -e "$E2E_ROOT/var/lib/otpd/master.key" ] || fail "a master key exists before otpd first ran"

say "first connection: root runs kotp-admin list"
in_root kotp-admin --json list >/dev/null || fail "kotp-admin list as root failed: $(cat "$OTPD_LOG")"
[ "$(comm_of "$OTPD_PID")" = otpd ] || fail "the first connection did not start otpd"
otpd_uid=$(in_root id -u _otpd)
awk -v u="$otpd_uid" '/^Uid:/ { exit !($2 == u && $3 == u && $4 == u) }' "/proc/$OTPD_PID/status" ||
    fail "otpd does not run as _otpd: $(grep '^Uid:' "/proc/$OTPD_PID/status")"
expect_in "$(cat "$OTPD_LOG")" "serving a socket passed by systemd" "otpd log"
expect_not_in "$(cat "$OTPD_LOG")" "user namespace" "otpd log"

key=$(in_root stat -c '%U:%G %a' /var/lib/otpd/master.key)
[ "$key" = "_otpd:_otpd 600" ] || fail "master key is '$key', expected _otpd:_otpd 600"
db=$(in_root stat -c '%U %a' /var/lib/otpd/kotp.db)
[ "$db" = "_otpd 600" ] || fail "database is '$db', expected _otpd 600"
key_sum=$(md5sum <"$E2E_ROOT/var/lib/otpd/master.key")

say "SO_PEERCRED: root enrols erin; erin sees only herself; erin may not administer; dave (kotp-admin) may"
in_root kotp-admin --json enroll erin >/dev/null || fail "kotp-admin enroll erin failed"
status=$(as_user erin kotp status 2>&1) || fail "kotp status as erin failed: $status"
expect_in "$status" "erin" "kotp status as erin"
rc=0
out=$(as_user erin kotp-admin list 2>&1) || rc=$?
[ "$rc" -eq 4 ] || fail "kotp-admin list as erin: exit $rc (expected 4, permission denied): $out"
erin_uid=$(in_root id -u erin)
expect_in "$(cat "$OTPD_LOG")" "uid=$erin_uid" "otpd log of the refused admin request"
listing=$(as_user dave kotp-admin list 2>&1) || fail "kotp-admin list as dave (kotp-admin group) failed: $listing"
expect_in "$listing" "erin" "kotp-admin list as dave"
out=$(as_user dave kotp status 2>&1) && fail "kotp status as dave (not enrolled) succeeded: $out"
expect_in "$out" "KS1001" "kotp status as dave"

say "restart: SIGTERM by PID, start again, same key and enrolments"
stop_pid "$OTPD_PID"
expect_in "$(cat "$OTPD_LOG")" "otpd stopped" "otpd log after SIGTERM"
start_otpd
listing=$(in_root kotp-admin list 2>&1) || fail "kotp-admin list after restart failed: $listing
$(cat "$OTPD_LOG")"
expect_in "$listing" "erin" "kotp-admin list after restart"
[ "$(md5sum <"$E2E_ROOT/var/lib/otpd/master.key")" = "$key_sum" ] || fail "the master key changed on restart"
say "socket activation, _otpd, master key and peer credentials all as expected"
