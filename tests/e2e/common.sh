# Shared by the end-to-end tests (sourced, not run). They work on the built .deb files and on a
# Debian 12 system made with debootstrap in the build folder ("the test system"): the packages
# are installed there with apt-get and their maintainer scripts, and otpd, sshd, ssh and login
# run inside it under chroot. The host's /etc, PAM stack and sshd are never touched.
#
# Every test runs in a private mount namespace (unshare -m): /proc, /dev/pts and /run of the test
# system are mounted there and vanish with the test. Everything a test starts is recorded by PID
# and stopped by PID when it exits.
#
# Environment: KOTP_SOURCE_DIR (the source tree), KOTP_E2E_DIR (the work folder in the build
# tree), KOTP_E2E_MIRROR (Debian mirror for debootstrap and apt, default deb.debian.org).

set -euo pipefail

: "${KOTP_SOURCE_DIR:?set by CTest}"
: "${KOTP_E2E_DIR:?set by CTest}"
E2E_ROOT=$KOTP_E2E_DIR/root
E2E_DEBS=$KOTP_E2E_DIR/debs
E2E_LOGS=$KOTP_E2E_DIR/logs
E2E_MIRROR=${KOTP_E2E_MIRROR:-http://deb.debian.org/debian}
E2E_NAME=$(basename "$0" .sh)

say() { printf 'e2e %s: %s\n' "$E2E_NAME" "$*" >&2; }
fail() {
    printf 'e2e %s: FAIL: %s\n' "$E2E_NAME" "$*" >&2
    exit 1
}
skip() {
    printf 'e2e %s: SKIP: %s\n' "$E2E_NAME" "$*" >&2
    exit 77
}

need_root() {
    [ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot, sshd); run the test command as root"
}
need_debs() {
    compgen -G "$E2E_DEBS/otpd_*.deb" >/dev/null || fail "no packages in $E2E_DEBS: e2e_build_debs did not run or failed"
}
need_root_fs() {
    [ -e "$E2E_ROOT/var/lib/dpkg/info/otpd.list" ] || fail "no test system with kotp installed: e2e_install did not run or failed"
}

# --- processes -----------------------------------------------------------------------------

E2E_PIDS=()
track() { E2E_PIDS+=("$1"); }

# Stops one process by PID: TERM, then KILL after 5 s.
stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

E2E_CLEANUPS=()
at_exit() { E2E_CLEANUPS+=("$1"); }

cleanup() {
    local status=$? pid i
    for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${E2E_PIDS[$i]}"; done
    for ((i = ${#E2E_CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${E2E_CLEANUPS[$i]}" || true; done
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the test system -----------------------------------------------------------------------

# Re-runs the calling script in a private mount namespace (once).
enter_private_mounts() {
    if [ -z "${KOTP_E2E_PRIVATE_MOUNTS:-}" ]; then
        export KOTP_E2E_PRIVATE_MOUNTS=1
        unshare --mount --propagation private -- true 2>/dev/null ||
            fail "cannot make a private mount namespace (unshare --mount); inside a chroot, / must be a mount point"
        trap - EXIT
        exec unshare --mount --propagation private -- bash "$0" "$@"
    fi
}

# What a booted system has: /proc, a fresh /run (tmpfs) and a private /dev/pts.
mount_root_fs() {
    mount -t proc proc "$E2E_ROOT/proc"
    mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$E2E_ROOT/run"
    mkdir -p "$E2E_ROOT/run/lock"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$E2E_ROOT/dev/pts"
    ln -sf pts/ptmx "$E2E_ROOT/dev/ptmx"
}

# The start of every test on the installed test system: root, the fixture, a private mount
# namespace with the system's /proc, /run and /dev/pts.
use_test_system() {
    need_root
    need_root_fs
    enter_private_mounts "$@"
    mount_root_fs
}

# Runs a command inside the test system with a clean environment; extra NAME=VALUE words before
# the command are passed to env.
# Start daemons with "${ROOT_CMD[@]}" COMMAND & so that $! is the daemon's own PID.
ROOT_CMD=(chroot "$E2E_ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive
    HOME=/root LANG=C.UTF-8 TERM=xterm)
in_root() { "${ROOT_CMD[@]}" "$@"; }

# The value of KEY in a unit file of the test system (the last one wins, as in systemd).
unit_value() {
    sed -n "s/^$2=//p" "$E2E_ROOT/lib/systemd/system/$1" | tail -n 1
}

# Starts the installed otpd the way systemd would from the installed units: otpd.socket's
# ListenStream= is bound by systemd-socket-activate (DirectoryMode= and SocketMode= applied), and
# the first connection execs ExecStart= of otpd.service as User=/Group= with the listening socket
# passed as LISTEN_FDS. Sets OTPD_PID (socket activator first, otpd after the first connection),
# OTPD_SOCKET and OTPD_LOG (otpd's stderr, which the journal would get).
start_otpd() {
    local listen dir_mode sock_mode user group exec_start state_dir state_mode i
    listen=$(unit_value otpd.socket ListenStream)
    dir_mode=$(unit_value otpd.socket DirectoryMode)
    sock_mode=$(unit_value otpd.socket SocketMode)
    user=$(unit_value otpd.service User)
    group=$(unit_value otpd.service Group)
    exec_start=$(unit_value otpd.service ExecStart)
    state_dir=/var/lib/$(unit_value otpd.service StateDirectory)
    state_mode=$(unit_value otpd.service StateDirectoryMode)
    [ -n "$listen" ] && [ -n "$user" ] && [ -n "$exec_start" ] || fail "cannot read the installed otpd units"
    in_root install -d -m "$dir_mode" "$(dirname "$listen")"
    in_root install -d -m "$state_mode" -o "$user" -g "$group" "$state_dir"
    OTPD_SOCKET=$listen
    OTPD_LOG=$E2E_LOGS/$E2E_NAME.otpd.log
    mkdir -p "$E2E_LOGS"
    : >"$OTPD_LOG"
    rm -f "$E2E_ROOT$listen"  # what RemoveOnStop= does when systemd stops the socket
    # shellcheck disable=SC2086  # ExecStart= is split into words, as systemd does
    "${ROOT_CMD[@]}" systemd-socket-activate --listen="$listen" \
        setpriv --reuid="$user" --regid="$group" --init-groups -- $exec_start \
        >>"$OTPD_LOG" 2>&1 &
    OTPD_PID=$!
    track "$OTPD_PID"
    for i in $(seq 100); do
        grep -q "^Listening on $listen" "$OTPD_LOG" && break
        kill -0 "$OTPD_PID" 2>/dev/null || fail "systemd-socket-activate exited: $(cat "$OTPD_LOG")"
        sleep 0.05
    done
    grep -q "^Listening on $listen" "$OTPD_LOG" || fail "systemd-socket-activate is not listening on $listen after 5 s"
    chmod "$sock_mode" "$E2E_ROOT$listen"
}

# The command name of a process ("otpd" once socket activation has exec'd it).
comm_of() { cat "/proc/$1/comm" 2>/dev/null || echo gone; }

# Runs a query on the installed otpd's database, read-only (sqlite3 in the test system).
audit_rows() {
    in_root sqlite3 -readonly -separator '|' /var/lib/otpd/kotp.db "$1"
}

# Asserts that TEXT contains PATTERN (a fixed string).
expect_in() {
    local text=$1 pattern=$2 what=$3
    grep -qF -- "$pattern" <<<"$text" || fail "$what: expected to find '$pattern' in:
$text"
}
expect_not_in() {
    local text=$1 pattern=$2 what=$3
    if grep -qF -- "$pattern" <<<"$text"; then fail "$what: did not expect '$pattern' in:
$text"; fi
}
