// What otpd drops at start, before it opens a key or a database: file descriptors it did not ask
// for, core dumps (which would hold the master key and secrets), and root when not asked for.
#pragma once

#include <string>

namespace kotp::otpd {

// Closes every inherited descriptor above stderr except the sockets systemd passes
// (LISTEN_FDS, when LISTEN_PID is this process). Returns how many it closed.
int close_inherited_fds();

// PR_SET_DUMPABLE 0 and RLIMIT_CORE 0: no core file and no ptrace by other processes of the
// same user. Returns an error sentence, or "" on success.
std::string forbid_core_dumps();

// True when any of the real, effective or saved uids is 0.
bool running_as_root();

}  // namespace kotp::otpd
