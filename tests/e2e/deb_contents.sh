#!/usr/bin/env bash
# What dpkg -c shows in each package: the module under a security/ folder, the pam-auth-update
# profile, the units, the sysusers file, the conffile, man pages, README and the sshd example.
source "$(dirname "$0")/common.sh"
need_debs

contents() { dpkg-deb -c "$(ls "$E2E_DEBS/$1"_*_*.deb | grep -v dbgsym)" | awk '{print $NF}' | sed 's|^\./|/|'; }
has() {  # package, regular expression for one path
    grep -qE "^$2\$" <<<"${listing[$1]}" || fail "$1 has no file matching $2; it has:
${listing[$1]}"
}
declare -A listing
for p in libpam-kotp otpd kotp-admin; do listing[$p]=$(contents "$p"); done

has libpam-kotp '/lib/[a-z0-9_]+-linux-gnu[a-z]*/security/pam_kotp\.so'
has libpam-kotp '/usr/share/pam-configs/kotp'
has libpam-kotp '/usr/share/man/man8/pam_kotp\.8\.gz'
has libpam-kotp '/usr/share/doc/libpam-kotp/examples/sshd_config\.d/kotp\.conf'
has libpam-kotp '/usr/share/doc/libpam-kotp/examples/pam\.d/sshd'
has libpam-kotp '/usr/share/doc/libpam-kotp/README\.md(\.gz)?'
has otpd '/usr/sbin/otpd'
has otpd '/lib/systemd/system/otpd\.service'
has otpd '/lib/systemd/system/otpd\.socket'
has otpd '/usr/lib/sysusers\.d/otpd\.conf'
has otpd '/etc/kotp/otpd\.conf'
has otpd '/usr/share/man/man8/otpd\.8\.gz'
has otpd '/usr/share/man/man5/otpd\.conf\.5\.gz'
has otpd '/usr/share/doc/otpd/README\.md(\.gz)?'
has kotp-admin '/usr/sbin/kotp-admin'
has kotp-admin '/usr/bin/kotp'
has kotp-admin '/usr/share/man/man8/kotp-admin\.8\.gz'
has kotp-admin '/usr/share/man/man1/kotp\.1\.gz'

# The default configuration is a conffile, so local edits survive upgrades.
dpkg-deb --ctrl-tarfile "$(ls "$E2E_DEBS"/otpd_*_*.deb | grep -v dbgsym)" | tar -xOf - ./conffiles | grep -qx /etc/kotp/otpd.conf ||
    fail "otpd does not list /etc/kotp/otpd.conf as a conffile"
# The profile must not switch itself on.
profile=$(dpkg-deb --fsys-tarfile "$(ls "$E2E_DEBS"/libpam-kotp_*_*.deb | grep -v dbgsym)" | tar -xOf - ./usr/share/pam-configs/kotp)
grep -qx 'Default: no' <<<"$profile" || fail "the pam-auth-update profile is not Default: no:
$profile"
say "all expected files are in the packages"
