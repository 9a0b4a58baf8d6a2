// otpd.conf: `key = value` lines, `#` comments, blank lines ignored. Unknown keys, repeated keys
// and bad values are errors that name the file and line, so a typo never silently weakens policy.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "network_match.hpp"

namespace kotp::otpd {

// What happens at a login of a user with no token (nor a pending enrolment).
enum class UnenrolledPolicy {
    Deny,    // refused (KS1001)
    Allow,   // let in with a warning until unenrolled_allow_until (the rollout), refused after
    Enroll,  // first-login enrolment with an activation code; refused without one
};

struct Config {
    std::string socket_path = "/run/otpd/otpd.sock";
    std::string state_dir = "/var/lib/otpd";
    std::string database;    // empty: <state_dir>/kotp.db
    std::string master_key;  // empty: <state_dir>/master.key
    // Where users, tokens and the audit live: empty (`storage = sqlite`) for the SQLite file
    // `database`; else a PostgreSQL URL or libpq key=value string that several otpd share
    // (docs/CLUSTER.md). Never a password: that is read from storage_password_file.
    std::string storage;
    std::string storage_password_file;
    std::string issuer = "kotp";  // shown in authenticator apps next to the account
    std::string prompt = "Verification code: ";
    std::string contact = "your system administrator";  // named in the suspension message
    std::string admin_group = "kotp-admin";
    unsigned lockout_threshold = 5;                  // consecutive failures that suspend
    std::chrono::seconds lockout_duration{0};        // 0: suspended until an admin unlocks
    unsigned window = 1;                             // TOTP steps accepted either side of now
    unsigned hotp_look_ahead = 10;                   // HOTP counters accepted ahead of the last
    unsigned max_connections_per_uid = 8;            // never applied to root
    std::chrono::seconds io_timeout{5};              // a started frame must complete in this
    std::chrono::seconds answer_timeout{300};        // time a user has to type a code

    // Cluster policies: logins let through without a code, each logged with its reason.
    std::vector<Network> exempt_networks;            // PAM_RHOST inside one of these
    std::vector<std::string> exempt_groups;          // the user is a member (NSS: LDAP, SSSD too)
    std::chrono::seconds grace_period{0};            // after a code from host H, H again: no code
    UnenrolledPolicy unenrolled = UnenrolledPolicy::Enroll;
    std::int64_t unenrolled_allow_until = 0;         // Allow: Unix time the rollout ends; 0 = none

    // Audit rows older than this are deleted (at start and once a day); 0 keeps them for ever.
    std::chrono::seconds audit_retention{180 * 24 * 3600};

    // Rate limits besides the lockout (rate_limit.hpp); 0 turns a limit off. A source host (PAM
    // RHOST, empty for local logins) whose codes failed host_failure_limit times within
    // host_failure_window is refused without its codes being checked or counted, so one address
    // can suspend at most host_failure_limit / lockout_threshold users per window.
    unsigned host_failure_limit = 20;
    std::chrono::seconds host_failure_window{60};
    // Requests per second from one unprivileged uid, in bursts of uid_request_burst. Root,
    // otpd's user and the admin group are never limited.
    unsigned uid_request_rate = 5;
    unsigned uid_request_burst = 20;

    std::string database_path() const;
    std::string master_key_path() const;
};

// Parses "30", "30s", "5m", "72h", "2d" into seconds; nullopt on anything else.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

struct ConfigError {
    std::string message;  // "FILE:LINE: what is wrong"
};

// Applies the settings of `text` (named `origin` in errors) on top of `config`.
std::optional<ConfigError> parse_config(std::string_view text, std::string_view origin, Config& config);

// Reads and parses a file (at most 64 KiB). A missing file is an error only if `required`.
std::optional<ConfigError> load_config_file(const std::string& path, bool required, Config& config);

}  // namespace kotp::otpd
