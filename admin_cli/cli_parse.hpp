// Command-line pieces shared by kotp-admin and kotp (both link CLI11; the command library does
// not, hence inline here).
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <string>

#include "commands.hpp"

namespace kotp::admin {

// --timeout: seconds, 0.1 to 3600.
inline CLI::Validator timeout_range() {
    return CLI::Validator(
        [](std::string& value) -> std::string {
            double seconds = 0;
            if (!CLI::detail::lexical_cast(value, seconds) ||
                !(seconds >= 0.1 && seconds <= 3600.0))
                return "must be a number of seconds from 0.1 to 3600, not " + value;
            return "";
        },
        "", "0.1 to 3600");
}

// --help and --version print and exit 0; anything else is one line on stderr plus the hint, and
// exit status 2.
inline int report_parse_error(const CLI::App& app, const CLI::ParseError& error,
                              const std::string& program) {
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(error);
    std::string message = error.what();
    // CLI11 says "A subcommand is required" for a misspelt command too: name the word instead.
    if (app.get_subcommands().empty() && !app.remaining().empty())
        message = "unknown command: " + app.remaining().front();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::cerr << program << ": " << message << "\nRun with --help for more information.\n";
    return kExitUsage;
}

}  // namespace kotp::admin
