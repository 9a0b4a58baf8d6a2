#!/usr/bin/env bash
# Builds the three .deb files the way a packager does: "dpkg-buildpackage -us -uc -b" in a copy
# of the source tree (the files git knows, plus new ones not ignored), so the build folder and
# anything left over in the work tree stay out. The packages, .changes and .buildinfo go to
# KOTP_E2E_DIR/debs.
source "$(dirname "$0")/common.sh"

command -v dpkg-buildpackage >/dev/null || fail "dpkg-buildpackage missing (dpkg-dev): run scripts/install-deps.sh"
work=$KOTP_E2E_DIR/src
rm -rf "$work" "$E2E_DEBS"
mkdir -p "$work/kotp" "$E2E_DEBS" "$E2E_LOGS"

cd "$KOTP_SOURCE_DIR"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
        [ -e "$f" ] && printf '%s\0' "$f"
    done | tar --null --no-recursion -T - -cf - | tar -xf - -C "$work/kotp"
else
    tar --exclude='./build*' --exclude='./obj-*' -cf - . | tar -xf - -C "$work/kotp"
fi

cd "$work/kotp"
say "dpkg-buildpackage -us -uc -b (log: $E2E_LOGS/dpkg-buildpackage.log)"
if ! DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b >"$E2E_LOGS/dpkg-buildpackage.log" 2>&1; then
    tail -n 60 "$E2E_LOGS/dpkg-buildpackage.log" >&2
    fail "dpkg-buildpackage failed"
fi
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$E2E_DEBS/"
for p in libpam-kotp otpd kotp-admin; do
    compgen -G "$E2E_DEBS/${p}_*.deb" >/dev/null || fail "dpkg-buildpackage made no $p package"
done
ls -l "$E2E_DEBS" >&2
rm -rf "$work"
say "built $(ls "$E2E_DEBS"/*.deb | wc -l) packages"
