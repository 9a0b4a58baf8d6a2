// The listening socket: adopted from systemd (socket activation) or bound by otpd itself.
#pragma once

#include <string>

namespace kotp::otpd {

struct Listener {
    int fd = -1;
    int lock_fd = -1;       // held while we own the socket path (self-bound only)
    bool activated = false; // came from systemd
};

// Uses the first fd passed by systemd if there is one; otherwise takes an exclusive lock on
// "<path>.lock" (so two otpd never fight over one path), removes a stale socket left by a dead
// otpd, binds, and makes the socket connectable by everyone: the permission table, not the file
// mode, decides what each caller may do. On failure returns fd -1 and sets `error`.
Listener open_listener(const std::string& path, std::string& error);

void close_listener(Listener& listener, const std::string& path);

}  // namespace kotp::otpd
