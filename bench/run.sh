#!/usr/bin/env bash
# kotp's benchmark suite, one command (bench/README.md):
#   1. kotp-load against a real otpd: USERS (default 1k, 100k, 1M) HOTP users, CLIENTS (64)
#      concurrent clients, SECONDS_PER_RUN (10) each, every reply checked; and TOTP users at
#      the largest N (one login per user per 30-s step needs users >> rate x 30);
#   2. the PAM path (bench/pam_path/run.sh): pam_kotp.so, pam_permit.so, google-authenticator
#      and pam_oath at PAM_USERS (1k, 10k), at THREADS concurrent logins ("1 4");
#   3. bench/report.py writes the results into docs/PERFORMANCE.md (between its markers).
# Needs root, and the Debian packages of scripts/install-deps.sh plus libpam-google-authenticator
# and libpam-oath. Enrolled states are kept in STATE (default /var/tmp/kotp-bench): a million
# users take half a minute to import, later runs reuse them. Nothing under /etc is touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build-bench}
out=${OUT:-$root/bench/results}
state=${STATE:-/var/tmp/kotp-bench}
read -r -a users <<< "${USERS:-1000 100000 1000000}"
read -r -a pam_users <<< "${PAM_USERS:-1000 10000}"
clients=${CLIENTS:-64}
seconds=${SECONDS_PER_RUN:-10}

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF > /dev/null
cmake --build "$build" -j"$(nproc)" --target otpd kotp-admin pam_kotp kotp-load kotp-pambench
mkdir -p "$out" "$state"
rm -f "$out"/load-*.json "$out"/pam_path.json

load() {  # token users json
    "$build/bench/kotp-load" --otpd "$build/otpd/otpd" --admin "$build/admin_cli/kotp-admin" \
        --state "$state/$1-$2" --keep-state --token "$1" --users "$2" --clients "$clients" \
        --seconds "$seconds" --json "$3"
}
for n in "${users[@]}"; do load hotp "$n" "$out/load-hotp-$n.json"; done
largest=${users[${#users[@]}-1]}
load totp "$largest" "$out/load-totp-$largest.json"

bash "$root/bench/pam_path/run.sh" "$build" "$out" "${pam_users[@]}"
python3 "$root/bench/report.py" "$out" "$root/docs/PERFORMANCE.md" "$(printf '%q ' "$0" "$@")"
echo "results: $out; docs/PERFORMANCE.md updated"
