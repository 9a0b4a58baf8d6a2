// kotp: the user's own CLI. It always acts for the calling user; otpd checks that through
// SO_PEERCRED, so there is no way to name anyone else.
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>

#include "commands.hpp"
#include "kotp/client.hpp"
#include "user_exchange.hpp"

namespace {

constexpr const char* kFooter = R"(Exit status: 0 success; 1 refused (wrong code, suspended, ...); 2 usage error;
3 otpd unreachable; 4 permission denied.
KOTP_SOCKET sets otpd's socket when --socket is not given (default /run/otpd/otpd.sock).)";

}  // namespace

int main(int argc, char** argv) {
    using namespace kotp::admin;
    CLI::App app{"Your one-time-password tokens: status, enrolment, device change, recovery codes.", "kotp"};
    app.footer(kFooter);
    app.fallthrough();
    app.require_subcommand(1);
    app.set_version_flag("--version", KOTP_VERSION);

    Context ctx;
    ctx.program = "kotp";
    ctx.socket_path = kotp::default_socket_path();
    double timeout_seconds = 10.0;
    app.add_option("--socket", ctx.socket_path, "otpd's Unix socket")->type_name("PATH");
    app.add_flag("--json", ctx.json, "status: print one JSON document");
    app.add_option("--timeout", timeout_seconds, "Seconds to wait for otpd at each step")
        ->check(CLI::Range(0.1, 3600.0));

    std::function<int()> run;
    app.add_subcommand("status", "Your tokens, recovery codes left and last login")->callback([&] {
        run = [&] { return run_status(ctx); };
    });
    bool replace = false;
    auto* enroll = app.add_subcommand(
        "enroll", "Set up a token with the activation code from your administrator (QR code, then first code)");
    enroll->add_flag("--replace", replace, "Replace your token with a new device (asks a current code first)");
    enroll->callback([&] {
        run = [&] {
            return run_user_exchange(ctx, replace ? kotp::wire::Intent::Replace : kotp::wire::Intent::Enroll);
        };
    });
    app.add_subcommand("recovery", "Make a new set of 10 recovery codes (asks a current code first)")
        ->callback([&] { run = [&] { return run_user_exchange(ctx, kotp::wire::Intent::NewRecoveryCodes); }; });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) return app.exit(error);
        std::cerr << "kotp: " << error.what() << "\nRun with --help for more information.\n";
        return kExitUsage;
    }
    ctx.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(timeout_seconds));
    return run();
}
