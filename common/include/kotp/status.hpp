// The one table of status codes people see: a stable message ID, one line of cause and one of
// remedy for every wire::Status. otpd logs the ID, the module shows it, the CLIs print it, and
// the README and the man page list the same table.
#pragma once

#include <string>

#include "kotp/wire.hpp"

namespace kotp {

struct StatusText {
    const char* id;      // e.g. "KS1003"
    const char* cause;   // one line: what happened
    const char* remedy;  // one line: what to do about it
};

StatusText describe(wire::Status status) noexcept;

// "KS1003: cause" for logs and CLI errors.
std::string status_line(wire::Status status);

}  // namespace kotp
