#!/usr/bin/env bash
# Real logins through OpenSSH: Debian's sshd on 127.0.0.1 at a high port with its own
# sshd_config (which includes the sshd drop-in shipped in libpam-kotp's examples), its own host
# key, and its own PAM service: sshd takes the PAM service name from argv[0], so it runs as the
# symlink /usr/local/sbin/sshd-kotp and reads /etc/pam.d/sshd-kotp (the shipped example), leaving
# the test system's own sshd configuration alone. The real ssh client authenticates with a key,
# then answers the keyboard-interactive prompts through SSH_ASKPASS with codes from oathtool.
#
#   alice: enrolled by the admin; a right code runs a command, a wrong code is refused, and
#          both attempts are in the audit table and in otpd's log with their message codes.
#   bob:   first-login enrolment over ssh: activation code, QR code and key string in the
#          prompt, first code from the new secret, command runs, token active.
source "$(dirname "$0")/common.sh"
use_test_system "$@"

conf=/etc/kotp-e2e
mkdir -p "$E2E_ROOT$conf" "$E2E_ROOT/run/sshd"
at_exit "rm -rf '$E2E_ROOT$conf' '$E2E_ROOT/etc/pam.d/sshd-kotp' '$E2E_ROOT/usr/local/sbin/sshd-kotp'"
examples=/usr/share/doc/libpam-kotp/examples
[ -f "$E2E_ROOT$examples/sshd_config.d/kotp.conf" ] || fail "the sshd drop-in example is not installed"
cp "$E2E_ROOT$examples/pam.d/sshd" "$E2E_ROOT/etc/pam.d/sshd-kotp"
ln -sf /usr/sbin/sshd "$E2E_ROOT/usr/local/sbin/sshd-kotp"
in_root ssh-keygen -q -t ed25519 -N '' -f $conf/host_key
in_root ssh-keygen -q -t ed25519 -N '' -f $conf/client_key

for u in alice bob; do
    in_root id "$u" >/dev/null 2>&1 || in_root useradd -m -s /bin/bash "$u"
    in_root install -d -m 0700 -o "$u" -g "$u" "/home/$u/.ssh"
    in_root install -m 0600 -o "$u" -g "$u" $conf/client_key.pub "/home/$u/.ssh/authorized_keys"
done

# The askpass program: ssh runs it for each keyboard-interactive prompt, with the prompt (and
# any text pam_kotp showed before it, such as the QR code and key string) as $1.
cat >"$E2E_ROOT$conf/askpass" <<'ASKPASS'
#!/bin/sh
printf '%s\n----\n' "$1" >>/etc/kotp-e2e/askpass.log
case "$1" in
*"Activation code:"*) printf '%s\n' "$KOTP_E2E_ACTIVATION" ;;
*"Verification code from your app:"*)
    secret=$(printf '%s\n' "$1" | sed -n 's/.*secret=\([A-Z2-7]*\).*/\1/p' | head -n 1)
    [ -n "$secret" ] || exit 1
    oathtool --totp -b "$secret" ;;
*"Verification code:"*) printf '%s\n' "$KOTP_E2E_CODE" ;;
*) exit 1 ;;
esac
ASKPASS
chmod 0755 "$E2E_ROOT$conf/askpass"

# sshd on a free high port: try ports until one binds.
start_sshd() {
    local port i
    for i in $(seq 20); do
        port=$((20000 + (RANDOM % 20000)))
        cat >"$E2E_ROOT$conf/sshd_config" <<SSHD
Include $examples/sshd_config.d/kotp.conf
ListenAddress 127.0.0.1:$port
HostKey $conf/host_key
PidFile /run/sshd-kotp.pid
PubkeyAuthentication yes
PasswordAuthentication no
AuthorizedKeysFile .ssh/authorized_keys
LogLevel VERBOSE
SSHD
        SSHD_LOG=$E2E_LOGS/$E2E_NAME.sshd.log
        : >"$SSHD_LOG"
        "${ROOT_CMD[@]}" /usr/local/sbin/sshd-kotp -D -e -f $conf/sshd_config >>"$SSHD_LOG" 2>&1 &
        SSHD_PID=$!
        while kill -0 "$SSHD_PID" 2>/dev/null; do
            grep -q "Server listening on 127.0.0.1 port $port" "$SSHD_LOG" && break
            sleep 0.05
        done
        if kill -0 "$SSHD_PID" 2>/dev/null; then
            track "$SSHD_PID"
            SSHD_PORT=$port
            return 0
        fi
        grep -q "Address already in use" "$SSHD_LOG" || fail "sshd did not start: $(cat "$SSHD_LOG")"
    done
    fail "no free port for sshd after 20 tries"
}

# ssh USER 'command' with the askpass answers in the environment; sets SSH_OUT, SSH_ERR, SSH_RC.
ssh_as() {
    local user=$1 command=$2
    shift 2
    SSH_RC=0
    SSH_OUT=$(in_root SSH_ASKPASS=$conf/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0 "$@" \
        ssh -F /dev/null -p "$SSHD_PORT" -i $conf/client_key -o IdentitiesOnly=yes \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        -o PreferredAuthentications=publickey,keyboard-interactive -o NumberOfPasswordPrompts=1 \
        "$user@127.0.0.1" "$command" </dev/null 2>"$E2E_LOGS/$E2E_NAME.ssh.err") || SSH_RC=$?
    SSH_ERR=$(cat "$E2E_LOGS/$E2E_NAME.ssh.err")
}

start_otpd
start_sshd
say "sshd-kotp listening on 127.0.0.1:$SSHD_PORT (pid $SSHD_PID)"
# The configuration sshd really runs with: key, then keyboard-interactive, through PAM.
effective=$(in_root /usr/local/sbin/sshd-kotp -T -f $conf/sshd_config)
expect_in "$effective" "authenticationmethods publickey,keyboard-interactive" "sshd -T"
expect_in "$effective" "usepam yes" "sshd -T"

say "alice: enrolled by the admin, right code"
secret=$(in_root kotp-admin --json enroll alice | sed -n 's/.*"secret": *"\([A-Z2-7]*\)".*/\1/p')
[ -n "$secret" ] || fail "kotp-admin enroll alice gave no secret"
code=$(in_root oathtool --totp -b "$secret")
ssh_as alice 'echo "kotp-e2e-ok:$(id -un)"' KOTP_E2E_CODE="$code"
[ "$SSH_RC" -eq 0 ] || fail "ssh alice with a right code: exit $SSH_RC
$SSH_ERR
sshd: $(tail -n 20 "$SSHD_LOG")
otpd: $(tail -n 10 "$OTPD_LOG")"
expect_in "$SSH_OUT" "kotp-e2e-ok:alice" "the command alice ran over ssh"

say "alice: wrong code"
wrong=$(printf '%06d' $(((10#$code + 500000) % 1000000)))
ssh_as alice 'echo "kotp-e2e-ok:$(id -un)"' KOTP_E2E_CODE="$wrong"
[ "$SSH_RC" -ne 0 ] || fail "ssh alice with a wrong code succeeded: $SSH_OUT"
expect_not_in "$SSH_OUT" "kotp-e2e-ok" "the refused ssh login"
expect_in "$SSH_ERR" "Permission denied" "ssh's error for the wrong code"
# (sshd drops PAM messages that come after the last answer of a failed login, so the KS1003
# text reaches ssh users only when another prompt follows; the log and audit table have it.)

rows=$(audit_rows "select service, rhost, result from audit where user = 'alice' order by id")
expect_in "$rows" "sshd-kotp|127.0.0.1|KS0000" "audit rows of alice"
expect_in "$rows" "sshd-kotp|127.0.0.1|KS1003" "audit rows of alice"
log=$(cat "$OTPD_LOG")
expect_in "$log" 'KS0000 login accepted user="alice" service="sshd-kotp" rhost="127.0.0.1"' "otpd log"
expect_in "$log" 'KS1003 login refused user="alice" service="sshd-kotp" rhost="127.0.0.1"' "otpd log"
expect_not_in "$log" "$secret" "otpd log (no secret)"
expect_not_in "$log" "$code" "otpd log (no code)"

say "bob: first-login enrolment over ssh"
activation=$(in_root kotp-admin --json issue bob | sed -n 's/.*"code": *"\([0-9]*\)".*/\1/p')
[ -n "$activation" ] || fail "kotp-admin issue bob gave no activation code"
: >"$E2E_ROOT$conf/askpass.log"
ssh_as bob 'echo "kotp-e2e-ok:$(id -un)"' KOTP_E2E_ACTIVATION="$activation"
prompts=$(cat "$E2E_ROOT$conf/askpass.log")
[ "$SSH_RC" -eq 0 ] || fail "first login of bob over ssh: exit $SSH_RC
$SSH_ERR
prompts: $prompts
otpd: $(tail -n 10 "$OTPD_LOG")"
expect_in "$SSH_OUT" "kotp-e2e-ok:bob" "the command bob ran over ssh"
expect_in "$prompts" "Activation code:" "bob's prompts"
expect_in "$prompts" "otpauth://totp/" "bob's prompts (the URI)"
expect_in "$prompts" "█" "bob's prompts (the QR code)"
show=$(in_root kotp-admin --json show bob)
expect_in "$show" '"active"' "kotp-admin show bob"
rows=$(audit_rows "select result from audit where user = 'bob' order by id")
[ "$(tail -n 1 <<<"$rows")" = KS0000 ] || fail "bob's last audit row is not KS0000: $rows"

stop_pid "$SSHD_PID"
say "ssh: right code accepted, wrong code refused (KS1003), first-login enrolment completed"
