#include "output.hpp"

#include "kotp/terminal_text.hpp"

#include <algorithm>
#include <ctime>

#include "kotp/date_text.hpp"
#include "kotp/wipe.hpp"

namespace kotp::admin {
namespace {

using nlohmann::json;

enum class Zone : std::uint8_t { LocalSeconds, Utc };

// Literal formats only (-Wformat=2): local "YYYY-MM-DD HH:MM:SS" or UTC ISO-8601 (minutes:
// kotp::format_local_time).
std::string format_time(std::int64_t unix_time, Zone zone) {
    const auto t = static_cast<std::time_t>(unix_time);
    std::tm parts{};
    char buf[64];
    std::size_t length = 0;
    if (zone == Zone::Utc) {
        if (::gmtime_r(&t, &parts) != nullptr)
            length = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &parts);
    } else if (::localtime_r(&t, &parts) != nullptr) {
        length = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &parts);
    }
    if (length == 0) return "@" + std::to_string(unix_time);  // a year gmtime cannot hold
    return std::string(buf, length);
}

// Columns line up by code points, so that a UTF-8 label does not shift the rest of its row.
std::size_t display_width(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

using Row = std::vector<std::string>;

void print_table(std::ostream& out, const Row& header, const std::vector<Row>& rows,
                 std::string_view indent) {
    std::vector<std::size_t> widths(header.size(), 0);
    auto measure = [&](const Row& row) {
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], display_width(row[i]));
    };
    measure(header);
    for (const Row& row : rows) measure(row);
    auto print_row = [&](const Row& row) {
        out << indent;
        for (std::size_t i = 0; i < row.size(); ++i) {
            out << row[i];
            if (i + 1 < row.size()) out << std::string(widths[i] - display_width(row[i]) + 2, ' ');
        }
        out << '\n';
    };
    print_row(header);
    for (const Row& row : rows) print_row(row);
}

// HOTP tokens have no period: shown as "-" and null rather than a meaningless 30.
bool has_period(wire::TokenType type) {
    return type == wire::TokenType::Totp;
}

json period_json(wire::TokenType type, std::uint16_t period) {
    return has_period(type) ? json(period) : json(nullptr);
}

}  // namespace

std::string format_local_time(std::int64_t unix_time) {
    if (unix_time == 0) return "never";
    return kotp::format_local_time(unix_time);
}

json json_time(std::int64_t unix_time) {
    if (unix_time == 0) return nullptr;
    return format_time(unix_time, Zone::Utc);
}

std::string group_key_string(std::string_view secret) {
    std::string grouped;
    grouped.reserve(secret.size() + secret.size() / 4);
    for (std::size_t i = 0; i < secret.size(); ++i) {
        if (i > 0 && i % 4 == 0) grouped += ' ';
        grouped += secret[i];
    }
    return grouped;
}

std::string printable(std::string_view text) { return terminal_safe_line(text); }

const char* to_string(wire::TokenType type) noexcept {
    switch (type) {
        case wire::TokenType::Totp:
            return "totp";
        case wire::TokenType::Hotp:
            return "hotp";
    }
    return "unknown";
}

const char* to_string(wire::Algorithm algorithm) noexcept {
    switch (algorithm) {
        case wire::Algorithm::Sha1:
            return "sha1";
        case wire::Algorithm::Sha256:
            return "sha256";
        case wire::Algorithm::Sha512:
            return "sha512";
    }
    return "unknown";
}

const char* to_string(wire::TokenState state) noexcept {
    switch (state) {
        case wire::TokenState::Pending:
            return "pending";
        case wire::TokenState::Active:
            return "active";
        case wire::TokenState::Revoked:
            return "revoked";
    }
    return "unknown";
}

const char* to_string(wire::UserState state) noexcept {
    switch (state) {
        case wire::UserState::Active:
            return "active";
        case wire::UserState::Suspended:
            return "suspended";
    }
    return "unknown";
}

json enrolled_json(const EnrolmentView& enrolment) {
    const wire::AdminEnroll& request = enrolment.request;
    const wire::Enrolled& reply = enrolment.reply;
    return json{
        {"user", reply.user},
        {"token_id", reply.token_id},
        {"label", reply.label},
        {"secret", reply.secret},
        {"uri", reply.uri},
        {"type", to_string(request.type)},
        {"algorithm", to_string(request.algorithm)},
        {"digits", request.digits},
        {"period", period_json(request.type, request.period)},
        {"state", to_string(wire::TokenState::Pending)},
    };
}

json user_list_json(const std::vector<wire::UserSummary>& users) {
    json list = json::array();
    for (const wire::UserSummary& u : users) {
        list.push_back({{"user", u.user},
                        {"state", to_string(u.state)},
                        {"failures", u.failures},
                        {"tokens", u.tokens},
                        {"last_login", json_time(u.last_login)}});
    }
    return json{{"users", std::move(list)}};
}

json user_info_json(const wire::UserInfo& info) {
    json tokens = json::array();
    for (const wire::TokenInfo& t : info.tokens) {
        tokens.push_back({{"id", t.id},
                          {"label", t.label},
                          {"type", to_string(t.type)},
                          {"algorithm", to_string(t.algorithm)},
                          {"digits", t.digits},
                          {"period", period_json(t.type, t.period)},
                          {"state", to_string(t.state)},
                          {"created", json_time(t.created)},
                          {"last_used", json_time(t.last_used)}});
    }
    const bool suspended = info.state == wire::UserState::Suspended;
    return json{{"user", info.user},
                {"state", to_string(info.state)},
                {"failures", info.failures},
                {"reason", suspended ? json(info.reason) : json(nullptr)},
                {"suspended_at", suspended ? json_time(info.suspended_at) : json(nullptr)},
                {"last_login", json_time(info.last_login)},
                {"created", json_time(info.created)},
                {"recovery_left", info.recovery_left},
                {"activation_expires", json_time(info.activation_expires)},
                {"exempt_until", json_time(info.exempt_until)},
                {"exempt_reason", info.exempt_until != 0 ? json(info.exempt_reason) : json(nullptr)},
                {"tokens", std::move(tokens)}};
}

json done_json(std::string_view user, std::string_view message) {
    return json{{"ok", true}, {"user", user}, {"message", message}};
}

json error_json(std::string_view code, std::string_view message) {
    return json{{"error", {{"code", code}, {"message", message}}}};
}

void print_enrolled(std::ostream& out, const EnrolmentView& enrolment) {
    const wire::Enrolled& reply = enrolment.reply;
    std::string key_string = group_key_string(reply.secret);
    out << "Key string: " << key_string << '\n';
    wipe(key_string);
    out << "URI: " << reply.uri << '\n';
    const std::string token = reply.label.empty() ? "Token " + std::to_string(reply.token_id)
                                                  : "Token " + std::to_string(reply.token_id) +
                                                        " (" + printable(reply.label) + ")";
    out << token << " stays pending until " << printable(reply.user)
        << "'s first code from it is accepted.\n";
}

void print_user_table(std::ostream& out, const std::vector<wire::UserSummary>& users) {
    if (users.empty()) {
        out << "No users.\n";
        return;
    }
    std::vector<Row> rows;
    rows.reserve(users.size());
    for (const wire::UserSummary& u : users) {
        rows.push_back({printable(u.user), to_string(u.state), std::to_string(u.failures),
                        std::to_string(u.tokens), format_local_time(u.last_login)});
    }
    print_table(out, {"USER", "STATE", "FAILURES", "TOKENS", "LAST-LOGIN"}, rows, "");
}

void print_user_info(std::ostream& out, const wire::UserInfo& info) {
    out << "User:        " << printable(info.user) << '\n';
    out << "State:       " << to_string(info.state);
    if (info.state == wire::UserState::Suspended) {
        if (info.suspended_at != 0) out << " since " << format_local_time(info.suspended_at);
        if (!info.reason.empty()) out << " (reason: " << printable(info.reason) << ')';
    }
    out << '\n';
    out << "Failures:    " << info.failures << '\n';
    out << "Last login:  " << format_local_time(info.last_login) << '\n';
    out << "Created:     " << format_local_time(info.created) << '\n';
    out << "Recovery:    " << info.recovery_left << " code(s) left\n";
    if (info.activation_expires != 0)
        out << "Activation:  activation code pending until "
            << format_local_time(info.activation_expires) << '\n';
    if (info.exempt_until != 0) {
        out << "Exempt:      no code asked until " << format_local_time(info.exempt_until);
        if (!info.exempt_reason.empty()) out << " (reason: " << printable(info.exempt_reason) << ')';
        out << '\n';
    }
    if (info.tokens.empty()) {
        out << "Tokens:      none\n";
        return;
    }
    out << "Tokens:\n";
    std::vector<Row> rows;
    rows.reserve(info.tokens.size());
    for (const wire::TokenInfo& t : info.tokens) {
        rows.push_back({std::to_string(t.id), t.label.empty() ? "-" : printable(t.label),
                        to_string(t.type), to_string(t.algorithm), std::to_string(t.digits),
                        has_period(t.type) ? std::to_string(t.period) + "s" : "-",
                        to_string(t.state), format_local_time(t.created),
                        format_local_time(t.last_used)});
    }
    print_table(
        out,
        {"ID", "LABEL", "TYPE", "ALGORITHM", "DIGITS", "PERIOD", "STATE", "CREATED", "LAST-USED"},
        rows, "  ");
}

json audit_json(const std::vector<wire::AuditEntry>& entries, bool more) {
    json list = json::array();
    for (const wire::AuditEntry& e : entries) {
        list.push_back({{"id", e.id},
                        {"time", json_time(e.time)},
                        {"user", e.user},
                        {"service", e.service},
                        {"rhost", e.rhost},
                        {"tty", e.tty},
                        {"result", e.result},
                        {"token_id", e.token_id},
                        {"detail", e.detail}});
    }
    return json{{"entries", std::move(list)}, {"more", more}};
}

void print_audit_table(std::ostream& out, const std::vector<wire::AuditEntry>& entries) {
    if (entries.empty()) {
        out << "No audit entries.\n";
        return;
    }
    std::vector<Row> rows;
    rows.reserve(entries.size());
    for (const wire::AuditEntry& e : entries) {
        rows.push_back({format_time(e.time, Zone::LocalSeconds), printable(e.user), printable(e.service),
                        printable(e.rhost), printable(e.result), printable(e.detail)});
    }
    print_table(out, {"TIME", "USER", "SERVICE", "RHOST", "RESULT", "DETAIL"}, rows, "");
}

StatsTotals totals_of(const wire::Stats& stats) {
    StatsTotals t;
    for (const wire::HourCounts& h : stats.hours) {
        t.ok += h.logins_ok;
        t.waived += h.waived;
        t.failed += h.failures;
    }
    return t;
}

json stats_json(const wire::Stats& stats) {
    json hours = json::array();
    for (const wire::HourCounts& h : stats.hours)
        hours.push_back({{"start", json_time(h.start)}, {"ok", h.logins_ok}, {"waived", h.waived},
                         {"failed", h.failures}});
    const StatsTotals t = totals_of(stats);
    return json{{"users",
                 {{"total", stats.users_total},
                  {"active", stats.users_active},
                  {"suspended", stats.users_suspended},
                  {"exempt", stats.users_exempt},
                  {"without_token", stats.users_without_token}}},
                {"window_hours", stats.hours.size()},
                {"logins", {{"ok", t.ok}, {"waived", t.waived}, {"failed", t.failed}}},
                {"hours", std::move(hours)}};
}

void print_stats(std::ostream& out, const wire::Stats& stats) {
    const StatsTotals t = totals_of(stats);
    out << "Users:       " << stats.users_total << " (" << stats.users_active << " active, "
        << stats.users_suspended << " suspended, " << stats.users_without_token << " without a token)\n";
    out << "Exemptions:  " << stats.users_exempt << " in force\n";
    out << "Logins in the last " << stats.hours.size() << " hour(s): " << t.ok << " with a code, " << t.waived
        << " without (exempt, grace, rollout), " << t.failed << " refused\n";
    std::vector<Row> rows;
    for (const wire::HourCounts& h : stats.hours) {
        if (h.logins_ok == 0 && h.waived == 0 && h.failures == 0) continue;
        rows.push_back({format_local_time(h.start), std::to_string(h.logins_ok), std::to_string(h.waived),
                        std::to_string(h.failures)});
    }
    if (!rows.empty()) print_table(out, {"HOUR", "OK", "WAIVED", "FAILED"}, rows, "  ");
}

// The Prometheus text exposition format (version 0.0.4): HELP and TYPE before each metric's
// samples, no timestamps (the textfile collector refuses them). Every label value here is a
// constant of ours, so none needs escaping.
void print_prometheus(std::ostream& out, const wire::Stats& stats) {
    const StatsTotals t = totals_of(stats);
    const auto metric = [&out](const char* name, const char* help) {
        out << "# HELP " << name << ' ' << help << '\n' << "# TYPE " << name << " gauge\n";
    };
    metric("kotp_users", "Users known to otpd, by state.");
    out << "kotp_users{state=\"active\"} " << stats.users_active << '\n';
    out << "kotp_users{state=\"suspended\"} " << stats.users_suspended << '\n';
    metric("kotp_users_exempt", "Per-user exemptions from codes in force.");
    out << "kotp_users_exempt " << stats.users_exempt << '\n';
    metric("kotp_users_without_token", "Users with no active or pending token.");
    out << "kotp_users_without_token " << stats.users_without_token << '\n';
    metric("kotp_logins_window_hours", "Hours summed in kotp_logins_last_hours.");
    out << "kotp_logins_window_hours " << stats.hours.size() << '\n';
    metric("kotp_logins_last_hours",
           "Logins over the window, by result: ok (KS0000), waived (KS0001-KS0003), failed (KS1001-KS1007).");
    out << "kotp_logins_last_hours{result=\"ok\"} " << t.ok << '\n';
    out << "kotp_logins_last_hours{result=\"waived\"} " << t.waived << '\n';
    out << "kotp_logins_last_hours{result=\"failed\"} " << t.failed << '\n';
}

}  // namespace kotp::admin
