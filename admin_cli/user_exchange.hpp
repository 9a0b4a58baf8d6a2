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

}  // namespace kotp::admin
