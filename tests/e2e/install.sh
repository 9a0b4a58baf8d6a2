#!/usr/bin/env bash
# Makes the test system and installs the built packages into it the way an admin does.
#
# Why a debootstrap'd Debian 12 and not the host: the install, the maintainer scripts
# (systemd-sysusers, pam-auth-update, deb-systemd-helper) and the purge then run for real on a
# clean system, and the host's /etc/pam.d, users and sshd are never touched, whoever runs the
# tests. The base system (with sshd, ssh, oathtool, expect, sqlite3) is cached as a tar file in
# KOTP_E2E_DIR/cache; kotp's own runtime dependencies come from the mirror through apt-get, so
# a missing Depends shows here.
source "$(dirname "$0")/common.sh"
need_root
need_debs
enter_private_mounts "$@"
command -v debootstrap >/dev/null || fail "debootstrap missing: run scripts/install-deps.sh"

suite=bookworm
tools=openssh-server,openssh-client,oathtool,expect,sqlite3,login,passwd,procps,pamtester
cache=$KOTP_E2E_DIR/cache
base=$cache/$suite-$(printf '%s %s' "$tools" "$E2E_MIRROR" | md5sum | cut -c1-12).tar
mkdir -p "$cache" "$E2E_LOGS"

rm -rf "$E2E_ROOT"
mkdir -p "$E2E_ROOT"
if [ -s "$base" ]; then
    say "test system from the cached base $base"
    tar -C "$E2E_ROOT" -xpf "$base"
else
    say "debootstrap $suite from $E2E_MIRROR (log: $E2E_LOGS/debootstrap.log)"
    debootstrap --variant=minbase --include="$tools" "$suite" "$E2E_ROOT" "$E2E_MIRROR" \
        >"$E2E_LOGS/debootstrap.log" 2>&1 || { tail -n 30 "$E2E_LOGS/debootstrap.log" >&2; fail "debootstrap failed"; }
    rm -f "$cache"/*.tar
    tar -C "$E2E_ROOT" -cpf "$base.part" . && mv "$base.part" "$base"
fi

mount_root_fs
cp /etc/resolv.conf "$E2E_ROOT/etc/resolv.conf"
# No daemon of the test system may start on its own (policy-rc.d, as in Debian's chroot builds).
printf '#!/bin/sh\nexit 101\n' >"$E2E_ROOT/usr/sbin/policy-rc.d"
chmod 0755 "$E2E_ROOT/usr/sbin/policy-rc.d"
mkdir -p "$E2E_ROOT/tmp/debs"
cp "$E2E_DEBS"/*.deb "$E2E_ROOT/tmp/debs/"
rm -f "$E2E_ROOT"/tmp/debs/*-dbgsym_*.deb

say "apt-get install ./otpd ./kotp-admin ./libpam-kotp (log: $E2E_LOGS/apt-install.log)"
{
    in_root apt-get update &&
    in_root DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        $(cd "$E2E_ROOT" && ls tmp/debs/otpd_*.deb tmp/debs/kotp-admin_*.deb tmp/debs/libpam-kotp_*.deb | sed 's|^|/|')
} >"$E2E_LOGS/apt-install.log" 2>&1 || { tail -n 40 "$E2E_LOGS/apt-install.log" >&2; fail "installing the packages failed"; }
rm -rf "$E2E_ROOT/tmp/debs"

# What the maintainer scripts must have done.
for p in otpd kotp-admin libpam-kotp; do
    in_root dpkg-query -W -f='${Status}' "$p" | grep -qx 'install ok installed' || fail "$p is not installed"
done
in_root getent passwd _otpd >/dev/null || fail "no _otpd user (sysusers.d entry not applied)"
in_root getent group kotp-admin >/dev/null || fail "no kotp-admin group"
owner=$(in_root stat -c '%U:%G %a' /var/lib/otpd)
[ "$owner" = "_otpd:_otpd 700" ] || fail "/var/lib/otpd is '$owner', expected _otpd:_otpd 700"
[ -f "$E2E_ROOT/etc/kotp/otpd.conf" ] || fail "no /etc/kotp/otpd.conf"
module=$(in_root sh -c 'ls /lib/*/security/pam_kotp.so')
[ -n "$module" ] || fail "pam_kotp.so is not in libpam's module folder"
grep -rq pam_kotp "$E2E_ROOT/etc/pam.d" && fail "installing switched pam_kotp on: the profile must be Default: no"
[ -L "$E2E_ROOT/etc/systemd/system/sockets.target.wants/otpd.socket" ] || fail "otpd.socket is not enabled"
[ -e "$E2E_ROOT/etc/systemd/system/multi-user.target.wants/otpd.service" ] && fail "otpd.service is enabled; socket activation starts it"
in_root otpd --version | grep -q '^otpd ' || fail "the installed otpd does not run"
say "installed: $module, _otpd, /var/lib/otpd 0700, otpd.socket enabled, PAM untouched"
