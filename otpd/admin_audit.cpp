// The audit commands of kotp-admin: log (a page of the audit table) and stats (users by state,
// logins per hour), and the retention purge of the audit table.
#include <algorithm>
#include <map>

#include "admin_service.hpp"
#include "audit_retention.hpp"
#include "kotp/date_text.hpp"
#include "log.hpp"

namespace kotp::otpd {
namespace {

// A stored text as a wire field: at most max_length bytes, cut before a partial UTF-8 sequence,
// NUL bytes (never written by otpd, but the file is not ours alone) shown as '?'.
std::string wire_field(std::string text, std::size_t max_length) {
    if (text.size() > max_length) {
        std::size_t cut = max_length;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text.resize(cut);
    }
    std::replace(text.begin(), text.end(), '\0', '?');
    return text;
}

std::uint32_t count32(std::int64_t n) {
    return static_cast<std::uint32_t>(std::clamp<std::int64_t>(n, 0, UINT32_MAX));
}

constexpr std::int64_t kHour = 3600;

}  // namespace

ReplyFrame AdminService::log(const wire::AdminLog& request) {
    if (!request.user.empty() && !valid_user_name(request.user))
        return error_frame(wire::Status::InvalidArgument, "invalid user name " + quoted(request.user));
    Transaction txn(store_);
    auto rows = store_.audit_page(request.user, request.since, request.before_id, request.limit + 1u);
    txn.commit();
    wire::AuditPage reply;
    reply.more = rows.size() > request.limit;
    if (reply.more) rows.resize(request.limit);
    for (auto& row : rows) {
        wire::AuditEntry e;
        e.id = row.id;
        e.time = row.time;
        e.user = wire_field(std::move(row.user), wire::kMaxUserName);
        e.service = wire_field(std::move(row.service), wire::kMaxService);
        e.rhost = wire_field(std::move(row.rhost), wire::kMaxRhost);
        e.tty = wire_field(std::move(row.tty), wire::kMaxTty);
        e.result = wire_field(std::move(row.result), wire::kMaxAuditResult);
        e.token_id = row.token_id;
        e.detail = wire_field(std::move(row.detail), wire::kMaxAuditDetail);
        reply.entries.push_back(std::move(e));
    }
    return wire::encode_frame(reply);
}

ReplyFrame AdminService::stats(const wire::AdminStats& request) {
    const std::int64_t now = clock_.now();
    const std::int64_t current_hour = now / kHour * kHour;
    const std::int64_t first_hour = current_hour - (request.hours - 1) * kHour;
    Transaction txn(store_);
    const UserCounts users = store_.user_counts(now);
    const auto counted = store_.audit_hours(first_hour, current_hour + kHour);
    txn.commit();

    wire::Stats reply;
    reply.users_total = count32(users.total);
    reply.users_active = count32(users.active);
    reply.users_suspended = count32(users.suspended);
    reply.users_exempt = count32(users.exempt);
    reply.users_without_token = count32(users.without_token);
    std::map<std::int64_t, const AuditHour*> by_start;
    for (const auto& h : counted) by_start[h.start] = &h;
    for (std::int64_t start = first_hour; start <= current_hour; start += kHour) {
        wire::HourCounts h;
        h.start = start;
        if (const auto it = by_start.find(start); it != by_start.end()) {
            h.logins_ok = count32(it->second->ok);
            h.waived = count32(it->second->waived);
            h.failures = count32(it->second->failures);
        }
        reply.hours.push_back(h);
    }
    return wire::encode_frame(reply);
}

std::int64_t purge_expired_audit(Store& store, const Clock& clock, std::chrono::seconds retention) noexcept {
    if (retention.count() == 0) return 0;
    try {
        const std::int64_t before = clock.now() - retention.count();
        Transaction txn(store);
        const std::int64_t removed = store.purge_audit(before);
        txn.commit();
        log_line(LogLevel::Info, "audit retention: removed " + std::to_string(removed) + " row(s) older than " +
                                     format_local_time(before) + " (audit_retention " +
                                     std::to_string(retention.count() / 86400) + "d)");
        return removed;
    } catch (const std::exception& e) {
        log_line(LogLevel::Error, std::string("KS1010 audit retention purge failed: ") + e.what());
    } catch (...) {
        log_line(LogLevel::Error, "KS1010 audit retention purge failed");
    }
    return -1;
}

}  // namespace kotp::otpd
