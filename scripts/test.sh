#!/usr/bin/env bash
# Installs what the tests need, builds everything, and runs every test with CTest:
# unit tests, the module's own checks, the integration tests against a real otpd and the
# end-to-end tests with the packages; then the suite again under ASan+UBSan and otpd's
# concurrency tests under TSan (scripts/sanitize.sh), and each libFuzzer target for a fixed time
# (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
build=${KOTP_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
bash scripts/sanitize.sh
bash scripts/fuzz.sh
