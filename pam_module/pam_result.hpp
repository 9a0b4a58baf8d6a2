// What a login attempt ends with, as PAM sees it: the one mapping from an otpd status to a PAM
// return code, and the text the user is shown.
#pragma once

#include <string>
#include <string_view>

#include "kotp/terminal_text.hpp"
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

// The shared filter for text from otpd (common/include/kotp/terminal_text.hpp).
using kotp::terminal_safe;

}  // namespace kotp::pam
