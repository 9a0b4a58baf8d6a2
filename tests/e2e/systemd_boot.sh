#!/usr/bin/env bash
# The shipped units under a real systemd: the test system is booted with systemd-nspawn (its own
# PID 1, private network), where otpd.socket is enabled by the package. This checks what the
# socket-activation emulation cannot: otpd under every hardening setting of otpd.service
# (seccomp filter, no capabilities, no new privileges, ProtectSystem=strict, ...) still serves
# a PAM login, and still tells root, an admin-group member and an ordinary user apart by
# SO_PEERCRED (no PrivateUsers=). Skipped (77) only when this machine cannot boot a container.
source "$(dirname "$0")/common.sh"
need_root
need_root_fs
command -v systemd-nspawn >/dev/null || fail "systemd-nspawn missing (systemd-container): run scripts/install-deps.sh"
mkdir -p "$E2E_LOGS"

# Users and a PAM service for pamtester, written before the boot.
for u in gina henry; do in_root id "$u" >/dev/null 2>&1 || in_root useradd -m -s /bin/bash "$u"; done
in_root usermod -a -G kotp-admin henry
printf 'auth required pam_kotp.so\naccount required pam_permit.so\n' >"$E2E_ROOT/etc/pam.d/kotp-boot"
at_exit "rm -f '$E2E_ROOT/etc/pam.d/kotp-boot'"

boot_log=$E2E_LOGS/$E2E_NAME.boot.log
systemd-nspawn --quiet --directory="$E2E_ROOT" --register=no --keep-unit --private-network --boot \
    >"$boot_log" 2>&1 </dev/null &
nspawn_pid=$!
track "$nspawn_pid"

# The container's PID 1 is nspawn's child; wait until it says the system is up.
leader=
for i in $(seq 300); do
    kill -0 "$nspawn_pid" 2>/dev/null || { cat "$boot_log" >&2; skip "systemd-nspawn cannot boot a container on this machine"; }
    leader=$(cat /proc/"$nspawn_pid"/task/*/children 2>/dev/null | awk '{print $1}')
    [ -n "$leader" ] && [ "$(comm_of "$leader")" = systemd ] && break
    sleep 0.1
done
[ -n "$leader" ] && [ "$(comm_of "$leader")" = systemd ] || { cat "$boot_log" >&2; skip "no systemd in the container after 30 s"; }
inside() { nsenter --target "$leader" --all -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
# Until PID 1 has its private bus up, systemctl cannot even ask: retry for up to 90 s.
state=
for i in $(seq 450); do
    state=$(timeout 90 nsenter --target "$leader" --all -- systemctl is-system-running --wait 2>&1) || true
    case "$state" in running | degraded | maintenance | stopping | offline) break ;; esac
    kill -0 "$nspawn_pid" 2>/dev/null || break
    sleep 0.2
done
case "$state" in
running) ;;
degraded) say "container degraded: $(inside systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')" ;;
*) cat "$boot_log" >&2; skip "the container did not finish booting ($state)" ;;
esac
say "container booted (PID 1 is $leader on the host)"

[ "$(inside systemctl is-active otpd.socket)" = active ] || fail "otpd.socket is not active after boot"
[ "$(inside systemctl is-active otpd.service || true)" = inactive ] || fail "otpd.service runs before any connection"

say "root enrols gina; her first code through PAM (pamtester, pam_kotp.so) activates the token"
secret=$(inside kotp-admin --json enroll gina | sed -n 's/.*"secret": *"\([A-Z2-7]*\)".*/\1/p')
[ -n "$secret" ] || fail "kotp-admin enroll gina failed: $(inside journalctl -u otpd.service --no-pager | tail -n 20)"
[ "$(inside systemctl is-active otpd.service)" = active ] || fail "the first connection did not start otpd.service"
code=$(inside oathtool --totp -b "$secret")
out=$(printf '%s\n' "$code" | inside pamtester kotp-boot gina authenticate 2>&1) || fail "PAM login of gina with a right code failed: $out
$(inside journalctl -u otpd.service --no-pager | tail -n 20)"
wrong=$(printf '%06d' $(((10#$code + 500000) % 1000000)))
out=$(printf '%s\n' "$wrong" | inside pamtester kotp-boot gina authenticate 2>&1) && fail "PAM login of gina with a wrong code succeeded: $out"

main=$(inside systemctl show --property=MainPID --value otpd.service)
status=$(inside cat "/proc/$main/status")
otpd_uid=$(inside id -u _otpd)
grep -qE "^Uid:\s+$otpd_uid\s+$otpd_uid\s+$otpd_uid\s+$otpd_uid$" <<<"$status" || fail "otpd does not run as _otpd: $(grep ^Uid <<<"$status")"
grep -qE '^NoNewPrivs:\s+1$' <<<"$status" || fail "otpd runs without NoNewPrivileges"
grep -qE '^Seccomp:\s+2$' <<<"$status" || fail "otpd runs without a seccomp filter"
grep -qE '^CapBnd:\s+0+$' <<<"$status" || fail "otpd has a capability bounding set: $(grep ^CapBnd <<<"$status")"

say "SO_PEERCRED under the hardened unit: gina sees herself, may not administer; henry (kotp-admin) may"
as_user() { local who=$1; shift; inside setpriv --reuid="$who" --regid="$who" --init-groups -- "$@"; }
out=$(as_user gina kotp status 2>&1) || fail "kotp status as gina failed: $out"
expect_in "$out" "gina" "kotp status as gina"
rc=0
out=$(as_user gina kotp-admin list 2>&1) || rc=$?
[ "$rc" -eq 4 ] || fail "kotp-admin list as gina: exit $rc, expected 4 (permission denied): $out"
out=$(as_user henry kotp-admin list 2>&1) || fail "kotp-admin list as henry (kotp-admin) failed: $out"
expect_in "$out" "gina" "kotp-admin list as henry"

journal=$(inside journalctl -u otpd.service --no-pager -o cat)
expect_in "$journal" "serving a socket passed by systemd" "otpd's journal"
expect_in "$journal" 'KS0000 login accepted user="gina" service="kotp-boot"' "otpd's journal"
expect_in "$journal" 'KS1003 login refused user="gina" service="kotp-boot"' "otpd's journal"
expect_in "$journal" "KS1008 admin request refused for uid=$(inside id -u gina)" "otpd's journal"
expect_not_in "$journal" "user namespace" "otpd's journal"
expect_not_in "$journal" "$secret" "otpd's journal (no secret)"

say "systemctl stop otpd.service: clean stop; the socket stays and starts it again"
inside systemctl stop otpd.service
expect_in "$(inside journalctl -u otpd.service --no-pager -o cat)" "otpd stopped" "otpd's journal after stop"
inside kotp-admin list >/dev/null || fail "kotp-admin list after a stop did not start otpd again"
[ "$(inside systemctl show --property=NRestarts --value otpd.service)" = 0 ] || fail "otpd.service restarted after a failure"

stop_pid "$nspawn_pid"
say "the shipped units work under systemd: socket activation, hardening, PAM login, peer credentials"
