#!/usr/bin/env bash
# Builds kotp's libFuzzer targets (fuzz/) with clang, ASan and UBSan in a build folder of their
# own, and runs each for a fixed time on a copy of its seed corpus (fuzz/corpus/<target>, which
# stays untouched). Exits non-zero, naming the crash, leak or timeout input, on any finding.
#
#   KOTP_FUZZ_SECONDS   time per target (default 30)
#   KOTP_FUZZ_BUILD     build folder (default build-fuzz)
#   KOTP_FUZZ_TARGETS   the targets to run (default: all of them)
#
# Two targets run at a time (the CI machine has 2 cores). fuzz/README.md says how to run one by
# hand and how to keep a crash input as a regression seed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${KOTP_FUZZ_SECONDS:-30}
build=${KOTP_FUZZ_BUILD:-build-fuzz}
targets=(${KOTP_FUZZ_TARGETS:-fuzz_wire fuzz_config fuzz_key_uri fuzz_import fuzz_pam})

for tool in clang clang++; do
  command -v "$tool" >/dev/null || { echo "fuzz: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
echo "fuzz: building ${targets[*]} in $build"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_FUZZING=ON \
  -DBUILD_TESTING=OFF "${launcher[@]}" >"$build.configure.log" 2>&1 \
  || { cat "$build.configure.log" >&2; exit 1; }
rm -f "$build.configure.log"
cmake --build "$build" -j2 --target "${targets[@]}" >/dev/null 2>"$build.errors.log" \
  || { cat "$build.errors.log" >&2; exit 1; }
rm -f "$build.errors.log"

work=$(mktemp -d /tmp/kotp-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
artifacts="$root/$build/fuzz-artifacts"
mkdir -p "$artifacts"

# ASan's leak check at exit is on (detect_leaks=1); UBSan stops at the first report.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

run_target() {
  local target=$1
  local corpus="$work/$target" findings="$artifacts/$target"
  mkdir -p "$corpus" "$findings"
  cp -R "$root/fuzz/corpus/$target/." "$corpus/"
  "$root/$build/fuzz/$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/" >"$work/$target.log" 2>&1
}

failed=0
report() {
  local target=$1 status=$2
  local log="$work/$target.log" findings="$artifacts/$target"
  local runs
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
  local cov
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)
  if [ "$status" -eq 0 ] && [ -z "$(ls -A "$findings")" ]; then
    echo "fuzz: $target: ok, $runs inputs in ${seconds}s ($cov)"
    return
  fi
  failed=1
  echo "fuzz: $target: FOUND A PROBLEM (exit status $status); the end of its log:" >&2
  grep -E 'ERROR|SUMMARY|INVARIANT|fuzz_[a-z_]+:|Test unit written' "$log" | tail -20 >&2 || true
  for f in "$findings"/*; do
    [ -e "$f" ] && echo "fuzz: $target: input that shows it: $f" >&2
  done
  cp "$log" "$findings/fuzz.log"
  echo "fuzz: $target: whole log: $findings/fuzz.log" >&2
}

# Two at a time.
i=0
while [ $i -lt ${#targets[@]} ]; do
  batch=("${targets[@]:i:2}")
  pids=()
  for t in "${batch[@]}"; do
    rm -rf "${artifacts:?}/$t"
    run_target "$t" &
    pids+=($!)
  done
  for k in "${!batch[@]}"; do
    status=0
    wait "${pids[$k]}" || status=$?
    report "${batch[$k]}" "$status"
  done
  i=$((i + 2))
done

if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED; see fuzz/README.md to reproduce an input and keep it as a regression seed" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a finding"
