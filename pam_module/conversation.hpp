// The PAM conversation, one message at a time. The application (sshd, login, su ...) owns the
// terminal; the module only ever talks to the user through these calls.
#pragma once

#include <security/pam_modules.h>

#include <string>
#include <string_view>

namespace kotp::pam {

// Asks `prompt` and stores what the user typed in `answer`. The application's response buffer
// is wiped and freed before this returns; the caller owns `answer` and must wipe it. False if
// the application has no conversation function, the conversation fails, or it returns no
// response.
bool ask_user(pam_handle_t* pamh, std::string_view prompt, bool echo, std::string& answer);

// Shows text as PAM_TEXT_INFO or PAM_ERROR_MSG. The text must already be terminal_safe(). A
// failure to show is not an error of the login: the return code says what happened.
void show_info(pam_handle_t* pamh, std::string_view text);
void show_error(pam_handle_t* pamh, std::string_view text);

}  // namespace kotp::pam
