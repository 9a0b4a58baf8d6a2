#!/usr/bin/env bash
# kotp's main job in a sandbox: build, start otpd in a temp folder, enrol a demo user (QR code
# shown), then log in through the real libpam and pam_kotp.so with a code from oathtool standing
# in for the phone app. Touches neither /etc/pam.d nor sshd: the PAM service file lives in the
# temp folder (pam_start_confdir). Everything started here is stopped by its PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
build=${KOTP_BUILD_DIR:-build}
echo "== building (log: $build/demo-build.log)"
mkdir -p "$build"
if ! { cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
       cmake --build "$build" -j"$(nproc)" --target otpd kotp-admin pam_kotp pam_login; } \
     > "$build/demo-build.log" 2>&1; then
  tail -n 40 "$build/demo-build.log" >&2
  echo "demo: the build failed" >&2
  exit 1
fi

top=$(pwd)
sandbox=$(mktemp -d /tmp/kotp-demo-XXXXXX)
otpd_pid=
cleanup() {
  if [ -n "$otpd_pid" ]; then kill "$otpd_pid" 2>/dev/null || true; wait "$otpd_pid" 2>/dev/null || true; fi
  rm -rf "$sandbox"
}
trap cleanup EXIT

socket=$sandbox/otpd.sock
printf '# demo configuration\nissuer = kotp-demo\n' > "$sandbox/otpd.conf"
"$top/$build/otpd/otpd" $([ "$(id -u)" = 0 ] && echo --allow-root) --config "$sandbox/otpd.conf" --socket "$socket" --state-dir "$sandbox/state" \
  2> "$sandbox/otpd.log" &
otpd_pid=$!
for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.05; done
[ -S "$socket" ] || { cat "$sandbox/otpd.log"; echo "demo: otpd did not start" >&2; exit 1; }
echo "== otpd is running (pid $otpd_pid) in $sandbox"

admin() { "$top/$build/admin_cli/kotp-admin" --socket "$socket" "$@"; }
echo "== kotp-admin enroll demo  (scan this with Google Authenticator, WinAuth or OTP Manager)"
admin enroll demo --label "demo phone" | tee "$sandbox/enroll.txt"
secret=$(sed -n 's/^Key string: *//p' "$sandbox/enroll.txt" | tr -d ' ')

mkdir "$sandbox/pam.d"
echo "auth required $top/$build/pam_module/pam_kotp.so socket=$socket" > "$sandbox/pam.d/kotp-demo"
code=$(oathtool --totp -b "$secret")
echo "== logging in as 'demo' through libpam (service file $sandbox/pam.d/kotp-demo), answering $code"
if "$top/$build/tests/tools/pam_login" --confdir "$sandbox/pam.d" --service kotp-demo --user demo \
     --rhost 127.0.0.1 --answer "$code"; then
  echo "== the login succeeded"
else
  echo "== the login FAILED" >&2
  cat "$sandbox/otpd.log" >&2
  exit 1
fi
echo "== the same code again is refused:"
"$top/$build/tests/tools/pam_login" --confdir "$sandbox/pam.d" --service kotp-demo --user demo \
  --rhost 127.0.0.1 --answer "$code" || true
echo "== kotp-admin show demo"
admin show demo
echo "== otpd's log"
cat "$sandbox/otpd.log"
