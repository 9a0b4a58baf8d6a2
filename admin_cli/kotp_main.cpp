// kotp: the user's own CLI. It always acts for the calling user (getuid()'s login name); otpd
// checks that through SO_PEERCRED, so there is no way to name anyone else.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <iostream>

#include "cli_parse.hpp"
#include "commands.hpp"
#include "kotp/client.hpp"
#include "user_exchange.hpp"

namespace {

constexpr const char* kFooter =
    R"(Every command acts for you, the user running kotp; otpd checks who you are.
enroll, enroll --replace and recovery ask their questions on the terminal and
read each answer as one line (codes are not echoed).

Environment:
  KOTP_SOCKET  otpd's socket when --socket is not given (default /run/otpd/otpd.sock)

Exit status:
  0  success
  1  refused (wrong or expired code, suspended, not enrolled ...), a protocol error,
     or no answer (end of input)
  2  usage error: unknown command, bad option or value
  3  otpd unreachable: socket missing or not owned by root or _otpd,
     connection refused, timeout, connection closed
  4  permission denied (KS1008)
  5  unknown user (KS1009))";

}  // namespace

int main(int argc, char** argv) {
    using namespace kotp::admin;
    CLI::App app{"Your one-time-password tokens: status, enrolment, device change, recovery codes.",
                 "kotp"};
    app.footer(kFooter);
    app.fallthrough();  // global options are accepted after the command too
    app.require_subcommand(1);
    app.set_version_flag("--version", KOTP_VERSION);

    Context ctx;
    ctx.program = "kotp";
    ctx.socket_path = kotp::default_socket_path();
    ctx.in_fd = STDIN_FILENO;
    double timeout_seconds = 10.0;
    app.add_option("--socket", ctx.socket_path, "otpd's Unix socket")
        ->type_name("PATH")
        ->capture_default_str();
    app.add_flag("--json", ctx.json, "status: print one JSON document on stdout");
    app.add_option("--timeout", timeout_seconds,
                   "Seconds to wait for otpd at each step (not for your typing)")
        ->check(timeout_range())
        ->type_name("SECONDS")
        ->capture_default_str();

    std::function<int()> run;
    bool interactive = false;
    app.add_subcommand("status", "Your tokens, recovery codes left, last login and state")
        ->callback([&] { run = [&] { return run_status(ctx); }; });
    bool replace = false;
    auto* enroll = app.add_subcommand(
        "enroll",
        "Set up a token: the activation code from your administrator, the QR code, the first "
        "code from the app. --replace: move to a new device");
    enroll->add_flag("--replace", replace,
                     "Move to a new device: a current code (or recovery code) first; your old "
                     "tokens stop working");
    enroll->callback([&] {
        interactive = true;
        run = [&] {
            return run_user_exchange(
                ctx, replace ? kotp::wire::Intent::Replace : kotp::wire::Intent::Enroll);
        };
    });
    app.add_subcommand("recovery",
                       "A new set of 10 recovery codes (asks a current code; the old set stops "
                       "working)")
        ->callback([&] {
            interactive = true;
            run = [&] { return run_user_exchange(ctx, kotp::wire::Intent::NewRecoveryCodes); };
        });

    try {
        app.parse(argc, argv);
        if (interactive && ctx.json)
            throw CLI::ValidationError("--json", "applies to 'status' only");
    } catch (const CLI::ParseError& error) {
        return report_parse_error(app, error, "kotp");
    }
    ctx.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(timeout_seconds));
    return run();
}
