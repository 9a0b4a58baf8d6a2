#!/usr/bin/env bash
# lintian on the .changes of the package build: no error and no warning (info tags are shown).
source "$(dirname "$0")/common.sh"
need_debs
command -v lintian >/dev/null || fail "lintian missing: run scripts/install-deps.sh"
changes=$(ls "$E2E_DEBS"/kotp_*.changes)
say "lintian --fail-on error,warning $(basename "$changes")"
status=0
out=$(lintian --fail-on error,warning --display-info "$changes" 2>&1) || status=$?
# As root, lintian notes that it is not recommended; that note is not about the packages.
printf '%s\n' "$out" | grep -v "running with root privileges" | tee "$E2E_LOGS/lintian.log" >&2 || true
[ "$status" -eq 0 ] || fail "lintian exit status $status: errors or warnings above"
say "lintian: no error, no warning"
