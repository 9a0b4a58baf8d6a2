#!/bin/bash
# The performance regression guard, run by CTest (test bench.regression_guard, label bench):
# two short kotp-load runs against a real otpd in a temp folder, every reply checked. It fails
# when a ratio measured in this same run falls under its floor; no absolute time is compared.
#   1. Group commit: verifications/s with 32 concurrent clients over verifications/s with one
#      (each of whose logins waits for its own fsync). Measured 4.9x-17x (docs/PERFORMANCE.md);
#      without grouping it is about 1x. Floor: 2.
#   2. otpd's CPU per verification against the load generator's in the concurrent run (the
#      client does the same socket work for each exchange, so the machine's speed cancels out).
#      Measured 0.25-0.29; a change that doubles otpd's work per login halves it. Floor: 0.12.
# usage: guard.sh KOTP_LOAD OTPD KOTP_ADMIN
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 KOTP_LOAD OTPD KOTP_ADMIN" >&2; exit 2; }
load=$1 otpd=$2 admin=$3
floor_group=${KOTP_GUARD_GROUP_FLOOR:-2}
floor_cpu=${KOTP_GUARD_CPU_FLOOR:-0.12}
dir=$(mktemp -d /var/tmp/kotp-guard.XXXXXX)   # on disk: /tmp may be tmpfs, where fsync is free
trap 'rm -rf "$dir"' EXIT

run() {  # clients verifications json
    "$load" --otpd "$otpd" --admin "$admin" --state "$dir/state" --keep-state --users 2000 \
        --clients "$1" --verifications "$2" --warmup 0.3 --json "$3" > "$3.txt" 2>&1 || {
        echo "kotp-load failed (exit $?):" >&2; cat "$3.txt" >&2; exit 1; }
}
run 1 600 "$dir/one.json"
run 32 8000 "$dir/many.json"

python3 - "$dir/one.json" "$dir/many.json" "$floor_group" "$floor_cpu" <<'PY'
import json, sys
one, many = (json.load(open(p)) for p in sys.argv[1:3])
floor_group, floor_cpu = float(sys.argv[3]), float(sys.argv[4])
for r in (one, many):
    assert r["ok"] and r["mismatches"] == 0 and r["errors"] == 0, r["failure"]
group = many["verifications_per_second"] / one["verifications_per_second"]
cpu = many["loadgen_cpu"]["us_per_verification"] / many["otpd_cpu"]["us_per_verification"]
print(f"1 client {one['verifications_per_second']:.0f}/s, 32 clients {many['verifications_per_second']:.0f}/s:"
      f" group-commit ratio {group:.2f} (floor {floor_group})")
print(f"otpd {many['otpd_cpu']['us_per_verification']:.1f} us CPU per verification, load generator"
      f" {many['loadgen_cpu']['us_per_verification']:.1f}: ratio {cpu:.3f} (floor {floor_cpu})")
bad = []
if group < floor_group: bad.append("group commit no longer groups: concurrent logins barely beat sequential ones")
if cpu < floor_cpu: bad.append("otpd's CPU per verification grew against the client's")
for b in bad: print("REGRESSION: " + b)
sys.exit(1 if bad else 0)
PY
