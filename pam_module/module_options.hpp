// The arguments of the module line in /etc/pam.d:
//
//   auth required pam_kotp.so [socket=PATH] [timeout=SECONDS] [failmode=closed|open]
//                             [combined] [debug]
//
// `combined` asks the password and the code in one prompt ("<password><code>"), sends only the
// trailing code to otpd and hands the password to the next module as PAM_AUTHTOK:
//
//   auth requisite pam_kotp.so combined
//   auth required  pam_unix.so use_first_pass
//
// Only these arguments configure the module. The KOTP_SOCKET variable that the CLIs honour is
// ignored here on purpose: the environment of a PAM application (su, sudo) is chosen by the
// user who is being authenticated.
#pragma once

#include <chrono>
#include <string>

namespace kotp::pam {

enum class FailMode { Closed, Open };

struct ModuleOptions {
    std::string socket_path;          // absolute; kotp::kDefaultSocketPath unless socket= is given
    std::chrono::seconds timeout{5};  // for each wait for otpd, never for the user's typing
    FailMode failmode = FailMode::Closed;
    bool combined = false;  // password and code in one answer; the password becomes PAM_AUTHTOK
    bool debug = false;
};

inline constexpr long kMinTimeoutSeconds = 1;
inline constexpr long kMaxTimeoutSeconds = 120;

struct ParsedOptions {
    ModuleOptions options;
    // Empty when every argument was understood; otherwise what is wrong with the first bad one,
    // for the caller to log. A module with a bad argument must fail closed.
    std::string error;

    bool ok() const { return error.empty(); }
};

// Parses argv as PAM passes it. A later argument overrides an earlier one of the same name.
ParsedOptions parse_module_options(int argc, const char** argv);

}  // namespace kotp::pam
