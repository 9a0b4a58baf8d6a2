// Starting otpd in kotp-load's state directory and enrolling the users with kotp-admin import.
#pragma once

#include <string>

#include "bench_state.hpp"
#include "child_process.hpp"
#include "token_model.hpp"

namespace kotp::bench {

// otpd.conf for the run. Besides the rules the model depends on:
//   host_failure_limit = 0: every exchange comes from this one process, so thousands of wrong
//     codes a second would otherwise have otpd throttle the source hosts (KS1015);
//   grace_period = 0: a second login from the same rhost must be asked for a code again;
//   unenrolled = deny.
// Per-uid limits do not apply: otpd never limits root or its own uid, and kotp-load runs as one.
std::string otpd_config_text(const StatePaths& paths, const OtpdRules& rules);

// Writes otpd.conf, starts otpd (--allow-root when running as root) and waits until its socket
// accepts a connection, at most `limit_seconds`.
bool start_otpd(const std::string& otpd_path, const StatePaths& paths, const OtpdRules& rules, ChildProcess& otpd,
                double limit_seconds, std::string& error);

// kotp-admin --json import --format csv users.csv; checks that every user was imported.
bool import_users(const std::string& admin_path, const StatePaths& paths, std::uint32_t users, std::string& error);

}  // namespace kotp::bench
