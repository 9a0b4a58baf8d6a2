#!/usr/bin/env bash
# Password and code in one answer: pam_kotp.so `combined` stacked before the real pam_unix.so
# use_first_pass, as the README shows, in a PAM service of the test system. ivy, a real local
# user with a password in /etc/shadow, answers pamtester's one prompt with password+code:
#   right password + right code   -> logged in (auth and account)
#   wrong password + next code    -> refused by pam_unix (otpd accepted the code and used it up)
#   right password + wrong code   -> refused by pam_kotp with KS1003, pam_unix not asked
#   right password + used code    -> refused with KS1004 (the replay guard)
#   the password alone            -> refused by the module with KS1007, nothing sent to otpd
# Her password ends in a digit: only the trailing 6 digits are the code.
source "$(dirname "$0")/common.sh"
use_test_system "$@"

service=kotp-combined
cat >"$E2E_ROOT/etc/pam.d/$service" <<'PAM'
auth requisite pam_kotp.so combined
auth required  pam_unix.so use_first_pass
account required pam_unix.so
PAM
at_exit "rm -f '$E2E_ROOT/etc/pam.d/$service'"

user=ivy
password=kotp-e2e-Combined7
in_root id "$user" >/dev/null 2>&1 || in_root useradd -m -s /bin/bash "$user"
printf '%s:%s\n' "$user" "$password" | chroot "$E2E_ROOT" chpasswd

start_otpd
secret=$(in_root kotp-admin --json enroll "$user" | sed -n 's/.*"secret": *"\([A-Z2-7]*\)".*/\1/p')
[ -n "$secret" ] || fail "kotp-admin enroll $user gave no secret: $(tail -n 5 "$OTPD_LOG")"

# pamtester with ANSWER on stdin (its conversation reads it for the prompt); prints what the user
# would see; the exit status is pamtester's.
login_with() {
    printf '%s\n' "$1" | in_root pamtester "$service" "$user" authenticate acct_mgmt 2>&1
}
audit_count() { audit_rows "select count(*) from audit where user = '$user'"; }

say "$user: right password + right code in one answer"
code=$(in_root oathtool --totp -b "$secret")
rc=0
out=$(login_with "$password$code") || rc=$?
[ "$rc" -eq 0 ] || fail "right password + right code: pamtester exit $rc
$out
otpd: $(tail -n 5 "$OTPD_LOG")"
expect_in "$out" "Password and verification code: " "the prompt pamtester showed"
expect_in "$out" "successfully authenticated" "pamtester after the right password and code"
expect_not_in "$out" "Password: " "pamtester after the right password and code (a second prompt)"

say "$user: wrong password + the next code"
next=$(in_root oathtool --totp -b "$secret" -N "now + 30 seconds")
rc=0
out=$(login_with "kotp-e2e-Combined8$next") || rc=$?
[ "$rc" -ne 0 ] || fail "wrong password + right code was let in:
$out"
expect_in "$out" "Authentication failure" "pamtester after the wrong password"
# otpd accepted the code (so the refusal is pam_unix's) and will not take it again.
rows=$(audit_rows "select result from audit where user = '$user' order by id")
[ "$(grep -c '^KS0000$' <<<"$rows")" -eq 2 ] || fail "otpd did not accept the code that came with the wrong password:
$rows"

say "$user: right password + wrong code"
wrong=$(printf '%06d' $(((10#$next + 500000) % 1000000)))
rc=0
out=$(login_with "$password$wrong") || rc=$?
[ "$rc" -ne 0 ] || fail "right password + wrong code was let in:
$out"
expect_in "$out" "KS1003" "what pamtester showed after the wrong code"

say "$user: right password + the code already used"
rc=0
out=$(login_with "$password$next") || rc=$?
[ "$rc" -ne 0 ] || fail "a used code was let in again:
$out"
expect_in "$out" "KS1004" "what pamtester showed after the used code"

say "$user: the password alone"
before=$(audit_count)
rc=0
out=$(login_with "$password") || rc=$?
[ "$rc" -ne 0 ] || fail "the password without a code was let in:
$out"
expect_in "$out" "KS1007: The answer must be your password followed directly by the 6-digit code" \
    "what pamtester showed after the password alone"
[ "$(audit_count)" = "$before" ] || fail "the module sent an answer without a code to otpd:
$(audit_rows "select result, detail from audit where user = '$user' order by id")"

# Every login attempt that reached otpd, in order (the enrolment has its own row).
rows=$(audit_rows "select result from audit where user = '$user' and service = '$service' order by id")
[ "$(tr '\n' ' ' <<<"$rows")" = "KS0000 KS0000 KS1003 KS1004 " ] || fail "audit rows of $user's logins:
$rows"
log=$(cat "$OTPD_LOG")
expect_in "$log" "KS0000 login accepted user=\"$user\" service=\"$service\"" "otpd log"
expect_in "$log" "KS1003 login refused user=\"$user\" service=\"$service\"" "otpd log"
expect_in "$log" "KS1004 login refused user=\"$user\" service=\"$service\"" "otpd log"
expect_not_in "$log" "$password" "otpd log (the password must never reach otpd)"
expect_not_in "$log" "KS1007" "otpd log (nothing is sent for an answer without a code)"
say "combined: one answer logs in; a wrong password, a wrong code, a used code and a missing code are refused"
