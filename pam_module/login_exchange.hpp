// The conversation with otpd for one login attempt, over one connection:
//
//   module                          otpd
//   AuthBegin{user, service, rhost, tty}  ──▶
//                                   ◀──  AuthStep{Prompt, prompt, text}   (zero or more times)
//   AuthAnswer{what the user typed} ──▶
//                                   ◀──  AuthStep{Success | Failure, text} or Error{status, text}
//
// The timeout bounds each wait for otpd (connect, each send, each reply), never the time the
// user spends typing.
//
// With the `combined` argument the password travels with the first answer: the module asks
// "<password><code>" in one prompt, sends only the code, and sets the password as PAM_AUTHTOK
// once otpd lets the user in (combined_answer.hpp).
#pragma once

#include <security/pam_modules.h>

#include "login_request.hpp"
#include "module_log.hpp"
#include "module_options.hpp"

namespace kotp::pam {

// Runs the attempt and returns the PAM return code. Shows otpd's prompts and messages through
// the PAM conversation and logs one line for the outcome. `flags` are pam_sm_authenticate's
// (PAM_SILENT suppresses messages that are not part of a question).
int run_login_exchange(pam_handle_t* pamh, int flags, const ModuleOptions& options,
                       const LoginRequest& request, const ModuleLog& log);

}  // namespace kotp::pam
