// Starting otpd in kotp-load's state directory and enrolling the users with kotp-admin import.
#pragma once

#include <cstdint>
#include <optional>
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
// With --storage, `storage` and `storage_password_file` (options.hpp); else SQLite in state_dir.
std::string otpd_config_text(const NodePaths& node, const OtpdRules& rules, const Options& options);

// Writes the node's otpd.conf, starts otpd (--allow-root when running as root) and waits until
// its socket accepts a connection, at most `limit_seconds`.
bool start_otpd(const std::string& otpd_path, const NodePaths& node, const OtpdRules& rules, const Options& options,
                ChildProcess& otpd, double limit_seconds, std::string& error);

// kotp-admin --json import --format csv users.csv; checks that every user was imported.
bool import_users(const std::string& admin_path, const StatePaths& paths, std::uint32_t users, std::string& error);

// What otpd shows of its database through kotp-admin (stats --hours 1, log --limit 1): the
// users count and the newest audit id (0: no audit row).
struct DatabaseMark {
    std::uint64_t users = 0;
    std::int64_t newest_audit_id = 0;
};
std::optional<DatabaseMark> read_database_mark(const std::string& admin_path, const StatePaths& paths,
                                               std::string& error);

}  // namespace kotp::bench
