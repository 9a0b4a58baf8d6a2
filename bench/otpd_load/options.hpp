// kotp-load's command line. A bad argument is reported with the usage line and exit status 2.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace kotp::bench {

enum class TokenChoice : std::uint8_t { Hotp, Totp };

const char* token_name(TokenChoice token) noexcept;  // "hotp", "totp"

// Percentages of right, wrong and replayed codes; they add up to 100.
struct Mix {
    unsigned right = 80;
    unsigned wrong = 10;
    unsigned replay = 10;
};

struct Options {
    std::string otpd_path;
    std::string admin_path;
    std::string state_dir;
    std::uint32_t users = 1000;
    unsigned clients = 64;
    unsigned threads = 1;
    double seconds = 10.0;              // the measured phase, when verifications == 0
    std::uint64_t verifications = 0;    // > 0: the measured phase ends after this many
    double warmup_seconds = 1.0;        // not counted
    double timeout_seconds = 10.0;      // one whole exchange, connect to final reply
    Mix mix;
    TokenChoice token = TokenChoice::Hotp;
    std::string json_path;              // empty: no JSON file
    bool keep_state = false;
    std::uint64_t seed = 0;             // 0: a random seed (printed, so a run can be repeated)
    std::string storage;                // empty: SQLite in the state folder; else otpd.conf's storage
    std::string storage_password_file;  // absolute; otpd.conf's storage_password_file
    unsigned nodes = 1;                 // otpd processes sharing the storage (> 1 needs storage)
    pid_t db_server_pid = 0;            // > 0: its CPU time and its children's is measured too
};

// What the JSON report and the state's manifest say about the storage: "sqlite", or the
// PostgreSQL connection string as given (it never holds the password: parse_options refuses one).
std::string storage_label(const Options& options);

inline constexpr std::uint32_t kMaxUsers = 10'000'000;
inline constexpr unsigned kMaxClients = 4096;
inline constexpr unsigned kMaxThreads = 64;
inline constexpr unsigned kMaxNodes = 8;

// The one-line usage and the full help text.
const char* usage_line() noexcept;
const char* help_text() noexcept;

struct ParseOutcome {
    std::optional<Options> options;  // empty: print `message` and exit with `exit_code`
    std::string message;
    int exit_code = 0;
};

ParseOutcome parse_options(int argc, char** argv);

}  // namespace kotp::bench
