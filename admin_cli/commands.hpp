// One function per kotp-admin command (and kotp status): build the request, exchange it with otpd,
// print the reply. Each returns the process exit status.
#pragma once

#include <chrono>
#include <cstdint>
#include <iostream>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "import_formats.hpp"
#include "kotp/wire.hpp"

namespace kotp::admin {

// Exit statuses, listed in the --help footer.
enum ExitStatus : int {
    kExitOk = 0,
    kExitRefused = 1,      // otpd refused (any status not below), a protocol error, a failed write
    kExitUsage = 2,        // bad option or value
    kExitUnreachable = 3,  // socket missing or untrusted, connection refused, timeout, hang-up
    kExitPermission = 4,   // KS1008 PermissionDenied
    kExitUnknownUser = 5,  // KS1009 UnknownUser
};

struct Context {
    std::string program = "kotp-admin";  // prefixes error lines
    std::string socket_path;
    bool json = false;
    std::chrono::milliseconds timeout{10'000};  // for each of connect, send and receive
    std::ostream* out = &std::cout;
    std::ostream* err = &std::cerr;
    // kotp's interactive commands read the answers from `in`; `in_fd` is checked for a terminal
    // (echo off for codes) and names the tty otpd logs. Tests pass a string stream and -1.
    std::istream* in = &std::cin;
    int in_fd = 0;
};

struct EnrollOptions {
    std::string user;
    wire::TokenType type = wire::TokenType::Totp;
    wire::Algorithm algorithm = wire::Algorithm::Sha1;
    int digits = 6;
    int period = 30;
    std::string label;  // "" lets otpd choose
    std::optional<std::string> qr_png;
};

int run_enroll(const Context& ctx, const EnrollOptions& options);
int run_list(const Context& ctx);
int run_show(const Context& ctx, const std::string& user);
int run_unlock(const Context& ctx, const std::string& user);
int run_suspend(const Context& ctx, const std::string& user, const std::string& reason);
int run_remove(const Context& ctx, const std::string& user);
int run_issue(const Context& ctx, const std::string& user, std::uint32_t valid_seconds);
int run_reset(const Context& ctx, const std::string& user, std::uint32_t valid_seconds);
int run_recovery(const Context& ctx, const std::string& user);
int run_resync(const Context& ctx, const std::string& user, const std::string& code1,
               const std::string& code2);

// No code asked of `user` until `until` (Unix time); the user need not be enrolled.
int run_exempt(const Context& ctx, const std::string& user, std::int64_t until, const std::string& reason);
int run_unexempt(const Context& ctx, const std::string& user);

struct ImportOptions {
    ImportFormat format = ImportFormat::Csv;
    std::vector<std::string> files;
    bool dry_run = false;  // read and check the files, send nothing
};
int run_import(const Context& ctx, const ImportOptions& options);

struct LogOptions {
    std::string user;           // "" = every user
    std::uint32_t since_seconds = 0;  // only entries of the last that many seconds; 0 = all
    unsigned limit = 100;       // the newest that many entries
};
// kotp-admin log: the newest entries of the audit table, printed oldest first (as journalctl).
int run_log(const Context& ctx, const LogOptions& options);

// kotp-admin stats: users by state and login results over the last `hours` hours; a summary,
// JSON (ctx.json) or the Prometheus text format.
int run_stats(const Context& ctx, std::uint16_t hours, bool prometheus);

// kotp-admin rekey: a new master key and every secret re-sealed under it, while logins go on;
// older keys are then dropped from master.key unless keep_old_keys.
int run_rekey(const Context& ctx, bool keep_old_keys);

// kotp-admin migrate-storage: otpd's SQLite state in `from` copied into the empty PostgreSQL
// database `to` (a URL or key=value string without a password), for cluster mode. Works on the
// file and the database directly, not through otpd. The database password is read from
// `password_file`; "" leaves it to libpq (~/.pgpass, peer authentication).
int run_migrate_storage(const Context& ctx, const std::string& from, const std::string& to,
                        const std::string& password_file);

// kotp status: the calling user's own record (otpd knows the caller from SO_PEERCRED).
int run_status(const Context& ctx);

// "72h", "30m", "2s", "2d" or plain seconds, 1 s to 366 days; nullopt otherwise.
std::optional<std::uint32_t> parse_validity(const std::string& text);

}  // namespace kotp::admin
