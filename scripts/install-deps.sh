#!/usr/bin/env bash
# Installs the Debian 12 packages kotp needs to build, package and test. Run as root; a no-op
# when everything is already there.
#
# The build dependencies come from debian/control ("apt-get build-dep ./", the packager's way),
# so the list below is only what the tests add on top.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential dpkg-dev
  libgtest-dev libgmock-dev
  # the real peers the tests drive: libpam, pamtester + pam_wrapper, oathtool, a QR decoder
  pamtester libpam-wrapper oathtool zbar-tools
  # the tools kotp-admin import migrates from (their own files are generated in the tests)
  libpam-google-authenticator
  # the admin's tools the README's procedures use (master key, database backup)
  openssl sqlite3
  # the manual pages' test (tests/docs): man -l and groff; minimal Debian images lack man-db
  man-db groff-base
  # the end-to-end tests: the package build, lintian, systemd-analyze, a debootstrap'd
  # Debian 12 to install the packages into
  debhelper lintian systemd systemd-container debootstrap
  # the fault tests: a private mount namespace (nsenter, setpriv, losetup) and an ext4 image
  util-linux mount e2fsprogs
  # the benchmark suite (bench/): its regression guard's report, and the PAM-path peer
  python3 libpam-oath
  # cluster mode: a real PostgreSQL server the tests start on their own (tests/support/
  # postgres_server; they neither use nor disturb the default cluster the package may start on
  # 5432), and libpq for otpd's PostgreSQL storage backend
  postgresql libpq-dev
  # the fuzz targets (scripts/fuzz.sh): clang 14 and its runtimes (libFuzzer, ASan, UBSan)
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
builddeps_ok() { command -v dpkg-checkbuilddeps >/dev/null && dpkg-checkbuilddeps debian/control 2>/dev/null; }
if [ ${#missing[@]} -eq 0 ] && builddeps_ok; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]:-} and the Build-Depends of debian/control;" \
       "run this as root (or install them with apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! builddeps_ok; then
  echo "install-deps: installing the Build-Depends of debian/control (apt-get build-dep ./)"
  apt-get build-dep -y -qq ./ >/dev/null
fi
builddeps_ok || { dpkg-checkbuilddeps debian/control; exit 1; }
