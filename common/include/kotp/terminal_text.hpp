// Text from otpd made safe to print on a user's terminal (through PAM or the kotp CLI).
#pragma once

#include <string>
#include <string_view>

namespace kotp {

// Keeps '\n', printable ASCII and well-formed UTF-8 of U+00A0 and above (QR codes are UTF-8 half
// blocks); drops every other control character (ESC, CR, DEL, C1 controls such as CSI) and
// malformed bytes, so otpd's text can never steer the terminal.
std::string terminal_safe(std::string_view text);

// One line of text from outside (a label, a host name from the audit table) for a table row: as
// terminal_safe, but every character it would drop, and '\n', becomes '?' so that the reader
// sees that something was there.
std::string terminal_safe_line(std::string_view text);

}  // namespace kotp
