// How kotp-admin shows otpd's replies: for people (tables, local times) and for scripts (one JSON
// document, UTC ISO-8601 times). No I/O to the socket here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "kotp/messages.hpp"
#include "kotp/wire.hpp"

namespace kotp::admin {

// Local time as "YYYY-MM-DD HH:MM"; "never" for 0.
std::string format_local_time(std::int64_t unix_time);

// UTC as "2026-11-21T09:00:00Z"; a JSON null for 0.
nlohmann::json json_time(std::int64_t unix_time);

// "JBSW Y3DP EHPK 3PXP": the Base32 secret in groups of 4, as authenticator apps show it.
std::string group_key_string(std::string_view secret);

// Replaces control characters, C1 controls and malformed UTF-8 (terminal escapes from a label, a
// reason or a host name) with '?'.
std::string printable(std::string_view text);

const char* to_string(wire::TokenType type) noexcept;       // "totp", "hotp"
const char* to_string(wire::Algorithm algorithm) noexcept;  // "sha1", "sha256", "sha512"
const char* to_string(wire::TokenState state) noexcept;     // "pending", "active", "revoked"
const char* to_string(wire::UserState state) noexcept;      // "active", "suspended"

// What was asked for and what otpd answered, for the enrolment output.
struct EnrolmentView {
    const wire::AdminEnroll& request;
    const wire::Enrolled& reply;
};

nlohmann::json enrolled_json(const EnrolmentView& enrolment);
nlohmann::json user_list_json(const std::vector<wire::UserSummary>& users);
nlohmann::json user_info_json(const wire::UserInfo& info);
nlohmann::json done_json(std::string_view user, std::string_view message);
nlohmann::json error_json(std::string_view code, std::string_view message);

// Key string, URI and the pending note; the caller prints the QR code above it.
void print_enrolled(std::ostream& out, const EnrolmentView& enrolment);
// USER STATE FAILURES TOKENS LAST-LOGIN, one row per user.
void print_user_table(std::ostream& out, const std::vector<wire::UserSummary>& users);
void print_user_info(std::ostream& out, const wire::UserInfo& info);

// kotp-admin log: {"entries": [{id, time, user, service, rhost, tty, result, token_id, detail}],
// "more"}, and TIME (local) USER SERVICE RHOST RESULT DETAIL, one row per entry.
nlohmann::json audit_json(const std::vector<wire::AuditEntry>& entries, bool more);
void print_audit_table(std::ostream& out, const std::vector<wire::AuditEntry>& entries);

// kotp-admin stats: login results summed over the window.
struct StatsTotals {
    std::uint64_t ok = 0;
    std::uint64_t waived = 0;
    std::uint64_t failed = 0;
};
StatsTotals totals_of(const wire::Stats& stats);
nlohmann::json stats_json(const wire::Stats& stats);
void print_stats(std::ostream& out, const wire::Stats& stats);
// The Prometheus text format, for node_exporter's textfile collector.
void print_prometheus(std::ostream& out, const wire::Stats& stats);

}  // namespace kotp::admin
