#!/usr/bin/env bash
# A console login: login(1) on a pseudo-terminal, through Debian's /etc/pam.d/login, with kotp
# switched on the way an admin does it, "pam-auth-update --enable kotp" (the profile appends
# pam_kotp.so to common-auth, after the password). carol types her password, then the code.
# A right code gives her a shell; a wrong code gets "Login incorrect" and KS1003. The profile is
# switched off again at the end, as the admin would before removing the packages.
source "$(dirname "$0")/common.sh"
use_test_system "$@"

conf=/etc/kotp-e2e
mkdir -p "$E2E_ROOT$conf"
at_exit "rm -rf '$E2E_ROOT$conf'; in_root pam-auth-update --package --disable kotp >/dev/null 2>&1"

in_root pam-auth-update --enable kotp
auth=$(grep -v '^#' "$E2E_ROOT/etc/pam.d/common-auth")
expect_in "$auth" "pam_kotp.so" "common-auth after pam-auth-update --enable kotp"
# Password first (pam_unix), then the code.
[ "$(grep -n pam_unix.so <<<"$auth" | cut -d: -f1)" -lt "$(grep -n pam_kotp.so <<<"$auth" | cut -d: -f1)" ] ||
    fail "pam_kotp.so comes before pam_unix.so in common-auth:
$auth"

in_root id carol >/dev/null 2>&1 || in_root useradd -m -s /bin/bash carol
printf 'carol:kotp-e2e-Passw0rd\n' | chroot "$E2E_ROOT" chpasswd

# login carol on a pty; answers the password and the code; prints what the session shows.
cat >"$E2E_ROOT$conf/login.exp" <<'EXPECT'
set timeout 20
set code [lindex $argv 0]
log_user 1
spawn /bin/login carol
expect {
    "Password: " { send "kotp-e2e-Passw0rd\r" }
    timeout { puts "\nE2E: no password prompt"; exit 2 }
}
expect {
    "Verification code: " { send "$code\r" }
    timeout { puts "\nE2E: no code prompt"; exit 2 }
}
expect {
    -re {carol@[^\r\n]*\$ } {
        send "echo console-ok-\$(id -un)-\$(tty | cut -c1-8)\r"
        expect {
            -re {console-ok-carol-/dev/pts} { send "exit\r"; expect eof; exit 0 }
            timeout { puts "\nE2E: the shell did not run the command"; exit 3 }
        }
    }
    "Login incorrect" { puts "\nE2E: login refused"; exit 1 }
    timeout { puts "\nE2E: neither a shell nor a refusal"; exit 2 }
}
EXPECT

start_otpd
secret=$(in_root kotp-admin --json enroll carol | sed -n 's/.*"secret": *"\([A-Z2-7]*\)".*/\1/p')
[ -n "$secret" ] || fail "kotp-admin enroll carol gave no secret"

say "carol at the console: password, right code"
code=$(in_root oathtool --totp -b "$secret")
rc=0
out=$(in_root expect -f $conf/login.exp "$code" 2>&1) || rc=$?
[ "$rc" -eq 0 ] || fail "console login with a right code: exit $rc
$out
otpd: $(tail -n 5 "$OTPD_LOG")"

say "carol at the console: password, wrong code"
wrong=$(printf '%06d' $(((10#$code + 500000) % 1000000)))
rc=0
out=$(in_root expect -f $conf/login.exp "$wrong" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "console login with a wrong code: exit $rc (expected 1, refused)
$out"
expect_in "$out" "KS1003" "what login showed carol after the wrong code"

rows=$(audit_rows "select service, result from audit where user = 'carol' order by id")
expect_in "$rows" "login|KS0000" "audit rows of carol"
expect_in "$rows" "login|KS1003" "audit rows of carol"
expect_in "$(cat "$OTPD_LOG")" 'KS1003 login refused user="carol" service="login"' "otpd log"
say "console: right code gives a shell, wrong code refused with KS1003"
