// Dates an admin types: "until" limits of exemptions (kotp-admin exempt --until) and of the
// rollout (unenrolled_allow_until in otpd.conf). Read in the local time zone of the program that
// parses them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kotp {

// "2026-12-31" means to the end of that day (the limit is the next midnight); "2026-12-31 18:00"
// or "2026-12-31T18:00[:SS]" is that moment; "@1798761600" is Unix time. Returns Unix time, or
// nullopt for anything else (including dates that do not exist, like 2026-02-30).
std::optional<std::int64_t> parse_until(std::string_view text);

// "2026-12-31 18:00" in local time, for messages and the CLI.
std::string format_local_time(std::int64_t unix_time);

}  // namespace kotp
