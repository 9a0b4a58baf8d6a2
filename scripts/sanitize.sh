#!/usr/bin/env bash
# Builds kotp with the sanitizers and runs the tests under them; any sanitizer report fails.
#
#   asan  AddressSanitizer, LeakSanitizer and UBSan in every target (otpd, pam_kotp.so, the
#         CLIs, the test tools) in build-asan, and every test but the e2e label (those build and
#         install the .deb packages themselves and run in the normal build).
#   tsan  ThreadSanitizer in build-tsan: only otpd, the CLIs, pam_kotp.so, the tools and the two
#         test programs they need, running otpd's unit tests and the integration tests that
#         drive otpd with concurrent clients (the list below).
#
# Usage: scripts/sanitize.sh [asan|tsan|all]    (default: all). Uses gcc's runtimes (libasan,
# libubsan, libtsan come with Debian 12's gcc). CMAKE_CXX_COMPILER_LAUNCHER=ccache in the
# environment is honoured by CMake.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
jobs=$(nproc)

# The integration tests TSan runs: those that put otpd under concurrent clients (gtest patterns).
# Names that do not exist yet match nothing and cost nothing.
tsan_integration_tests=(
  'HostileClientTest.*'
  'RekeyTest.RekeyDuringALoginLoad*'
  'LoginTest.TwentyParallelLogins*'
  '*Parallel*'
  '*Concurrent*'
  'CrashDurability*'
  # The 256-login storm is left to the normal and ASan runs: it is a throughput test, and 256
  # TSan-instrumented logins at once overrun the module's 3 s timeout without any race.
  'RateLimitTest.OneHost*'
  'Storm*'
)

# Every report goes to a file here as well as failing its program: a finding in a process whose
# exit code no test looks at (otpd at the end of a test, a client expected to fail anyway) still
# fails the run. 1777: clients run as nobody write their reports here too.
reports=$(mktemp -d /tmp/kotp-sanitizers-XXXXXX)
chmod 1777 "$reports"
trap 'rm -rf "$reports"' EXIT

# 86: an exit code no kotp program uses, so a finding never passes for an expected failure.
common="halt_on_error=1:exitcode=86:log_path=$reports/report:log_exe_name=1:print_summary=1"
# quarantine_size_mb=8: scrypt (activation and recovery codes) allocates and frees a 16 MiB
# buffer per hash; in ASan's default 256 MiB quarantine every one of those is fresh memory to
# fault in, and a first login (ten hashes) under -j2 load took over the module's 3 s timeout
# (measured: 8 first logins at once 3.5-3.8 s each, all timed out; with 8 MiB, which keeps the
# 16 MiB buffers out of the quarantine, 2.3-2.8 s, all passed). Small freed objects are still
# quarantined, so use-after-free stays detected.
export ASAN_OPTIONS="$common:quarantine_size_mb=8:detect_leaks=1:abort_on_error=0:strict_init_order=1:check_initialization_order=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="$common:print_stacktrace=1"
export TSAN_OPTIONS="$common:second_deadlock_stack=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizer-suppressions/lsan.supp:print_suppressions=0"
# pam_wrapper dlopens libpam with RTLD_DEEPBIND, which the sanitizer runtimes cannot work with.
export PAM_WRAPPER_DISABLE_DEEPBIND=1

# -O1 -g1: half the compile time of -O2 -g with the sanitizers (measured on a test file: 7.5 s
# against 15 s), stacks with file and line, and inlining that keeps the reported frames.
configure() {  # build dir, sanitizers
  cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON -DKOTP_SANITIZE="$2" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    >/dev/null
}

# The runtime otpd is linked with: tests/support puts it first in any LD_PRELOAD a test sets, so
# pamtester (not ours, not instrumented) can load the instrumented pam_kotp.so.
runtime_of() {  # binary, runtime name
  ldd "$1" | awk -v lib="$2" 'index($1, lib) == 1 { print $3 }'
}

# Prints every report written and fails if there is one.
check_reports() {  # what ran
  if compgen -G "$reports/report*" >/dev/null; then
    for f in "$reports"/report*; do
      echo "==== $f"
      cat "$f"
    done
    echo "sanitize: $1: sanitizer reports above" >&2
    return 1
  fi
  echo "sanitize: $1: no sanitizer reports"
}

run_asan() {
  local start=$SECONDS status=0
  configure build-asan address,undefined || return 1
  # Called as "run_asan || ...", where set -e does not apply: a failed build must fail here.
  cmake --build build-asan -j"$jobs" || return 1
  echo "sanitize: asan build took $((SECONDS - start)) s"
  KOTP_SANITIZER_PRELOAD=$(runtime_of build-asan/otpd/otpd libasan.so) \
    ctest --test-dir build-asan -LE e2e --output-on-failure -j"$jobs" || status=$?
  check_reports asan || status=1
  echo "sanitize: asan build and tests took $((SECONDS - start)) s"
  return "$status"
}

run_tsan() {
  local start=$SECONDS status=0
  configure build-tsan thread || return 1
  cmake --build build-tsan -j"$jobs" --target otpd_unittests kotp_integration_tests || return 1
  echo "sanitize: tsan build took $((SECONDS - start)) s"
  # gtest patterns to one ctest regular expression.
  local regex
  regex=$(printf '%s\n' "${tsan_integration_tests[@]}" | sed -e 's/\./\\./g' -e 's/\*/.*/g' | paste -sd'|')
  export KOTP_SANITIZER_PRELOAD
  KOTP_SANITIZER_PRELOAD=$(runtime_of build-tsan/otpd/otpd libtsan.so)
  build-tsan/tests/unit/otpd/otpd_unittests --gtest_brief=1 || status=$?
  ctest --test-dir build-tsan -L integration -R "^($regex)\$" --no-tests=error --output-on-failure \
    -j"$jobs" || status=$?
  check_reports tsan || status=1
  echo "sanitize: tsan build and tests took $((SECONDS - start)) s"
  return "$status"
}

status=0
case "$mode" in
  asan) run_asan || status=$? ;;
  tsan) run_tsan || status=$? ;;
  all)
    run_asan || status=$?
    rm -f "$reports"/report*  # already printed and counted
    run_tsan || status=$?
    ;;
  *) echo "usage: $0 [asan|tsan|all]" >&2; exit 2 ;;
esac
exit "$status"
