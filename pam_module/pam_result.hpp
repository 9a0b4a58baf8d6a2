// What a login attempt ends with, as PAM sees it: the one mapping from an otpd status to a PAM
// return code, and the text the user is shown.
#pragma once

#include <string>
#include <string_view>

#include "kotp/wire.hpp"

namespace kotp::pam {

// The PAM return code for a status. This is the only place that decides it.
int pam_code_for(wire::Status status) noexcept;

// "<ID>: <cause> <remedy>" from the status table, for when otpd sent no text of its own and for
// the refusals the module decides itself (KC2001, KC2002, KC2003).
std::string standard_message(wire::Status status);

// The text to show for a refusal: otpd's text if it sent one, otherwise standard_message().
// Always passed through terminal_safe().
std::string user_message(wire::Status status, std::string_view text_from_otpd);

// Keeps text that is safe to print on the user's terminal: printable ASCII, '\n', and
// well-formed UTF-8 other than the C1 controls (U+0080..U+009F). Every other control byte
// (ESC, CR, BEL, backspace, DEL ...) and every byte of malformed UTF-8 is dropped, so text from
// otpd (which may quote a user name or a host) cannot move the cursor or rewrite what the user
// sees.
std::string terminal_safe(std::string_view text);

}  // namespace kotp::pam
