// One thing kotp-admin doctor found wrong, with where to fix it and how. Shared by the sshd, PAM,
// socket and clock checks.
#pragma once

#include <string>
#include <vector>

namespace kotp::admin {

enum class Severity {
    Error,    // a login skips or never reaches the code, or every login is refused
    Warning,  // can weaken or break the second factor for some users or at some moment
};

inline const char* to_string(Severity severity) noexcept {
    return severity == Severity::Error ? "error" : "warning";
}

struct Finding {
    std::string check;  // "sshd", "pam", "socket", "clock"
    Severity severity = Severity::Error;
    std::string problem;  // one line
    std::string where;    // "FILE:LINE", a file, a socket path
    std::string fix;      // one or more lines
};

using Findings = std::vector<Finding>;

}  // namespace kotp::admin
