// otpd logs to stderr, one line per event; under systemd the journal reads the "<N>" priority
// prefix. Every auth outcome line carries its message ID, the user, service and rhost, and never
// a secret or what the user typed.
#pragma once

#include <string>
#include <string_view>

namespace kotp::otpd {

enum class LogLevel { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 };

void log_line(LogLevel level, std::string_view message);

// User-controlled text made safe for a log line: in double quotes, with quotes, backslashes and
// every byte outside printable ASCII escaped as \xNN; long input is cut with "...".
std::string quoted(std::string_view text, std::size_t max_length = 128);

}  // namespace kotp::otpd
