// How both CLIs report a failure: one line on stderr prefixed with the program name, and with
// --json also an {"error": {...}} document on stdout; each returns the exit status to use.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "commands.hpp"
#include "kotp/client.hpp"
#include "kotp/messages.hpp"

namespace kotp::admin {

// Prints `document` on ctx.out; invalid UTF-8 from otpd is replaced rather than thrown on, and
// the dump is wiped afterwards because it may hold a secret or a code.
void print_json(const Context& ctx, const nlohmann::json& document);

// The exit status for a refusal from otpd: 4 PermissionDenied, 5 UnknownUser, 1 otherwise.
int exit_status_for(wire::Status status) noexcept;

int fail(const Context& ctx, int exit_status, std::string_view code, const std::string& message);
// KS1011, exit 1: otpd sent something this program does not understand.
int fail_protocol(const Context& ctx, const std::string& what);
// Exit 3 (KC2001 / KC2002), or a protocol error for a frame that does not decode.
int fail_transport(const Context& ctx, ClientError error);
// otpd's ErrorReply: "ID: cause (otpd's detail)".
int fail_refused(const Context& ctx, const wire::ErrorReply& refusal);

}  // namespace kotp::admin
