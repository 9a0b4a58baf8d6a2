// The `kotp` user CLI's side of an interactive exchange with otpd (enrol with an activation code,
// replace a token, new recovery codes): the same AuthBegin -> AuthStep loop the PAM module runs
// (pam_module/login_exchange.cpp), with the terminal instead of a PAM conversation.
#pragma once

#include <string>
#include <string_view>

#include "commands.hpp"
#include "kotp/wire.hpp"

namespace kotp::admin {

// Runs one exchange for the calling user (getuid()'s login name; there is no way to name anyone
// else). Each answer is read as one line from ctx.in, with echo off at a terminal unless otpd
// asks for echo. ctx.timeout bounds each wait for otpd, never the time the user takes to type.
// Returns an ExitStatus: 0 success, 1 refused or end of input, 3 otpd unreachable, 4 permission
// denied, 5 unknown user.
int run_user_exchange(const Context& ctx, wire::Intent intent);

// otpd's text made safe for a terminal, as the PAM module does: printable ASCII, '\n' and
// well-formed UTF-8 other than the C1 controls are kept (QR codes are drawn with UTF-8 half
// blocks); every other control byte (ESC, CR, BEL, DEL ...) and all malformed UTF-8 (a lone
// 0x9b is CSI on an 8-bit terminal) is dropped.
std::string terminal_text(std::string_view text);

}  // namespace kotp::admin
