// The `kotp` user CLI's side of an interactive exchange with otpd (enrol with an activation code,
// replace a token, new recovery codes): the same AuthBegin -> AuthStep loop the PAM module runs,
// with the terminal instead of a PAM conversation.
#pragma once

#include "commands.hpp"
#include "kotp/wire.hpp"

namespace kotp::admin {

// Runs one exchange for the calling user (getuid()'s login name). Prompts are read from stdin,
// with echo off at a terminal unless otpd asks for echo. Returns an ExitStatus.
int run_user_exchange(const Context& ctx, wire::Intent intent);

// kotp status: the caller's own record.
int run_status(const Context& ctx);

// otpd's text made safe for a terminal: UTF-8 and newlines kept (QR codes are UTF-8 half blocks),
// every other control character (ESC included) dropped.
std::string terminal_text(std::string_view text);

}  // namespace kotp::admin
