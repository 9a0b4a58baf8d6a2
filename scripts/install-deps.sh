#!/usr/bin/env bash
# Installs the Debian 12 packages kotp needs to build and test. Run as root; a no-op when
# everything is already there.
set -euo pipefail

packages=(
  build-essential cmake pkgconf
  libpam0g-dev libssl-dev libsqlite3-dev libboost-dev
  libgtest-dev libgmock-dev libcli11-dev nlohmann-json3-dev
  libqrencode-dev libpng-dev libsystemd-dev
  # the real peers the tests drive: libpam, pamtester + pam_wrapper, oathtool
  pamtester libpam-wrapper oathtool zbar-tools
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run this as root (or install them with apt-get)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
