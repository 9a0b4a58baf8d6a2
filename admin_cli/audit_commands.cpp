// kotp-admin log and stats: the audit table and the numbers drawn from it.
#include <algorithm>
#include <ctime>

#include "exchange.hpp"

namespace kotp::admin {

int run_log(const Context& ctx, const LogOptions& options) {
    wire::AdminLog request;
    request.user = options.user;
    if (options.since_seconds != 0)
        request.since = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::time(nullptr)) - options.since_seconds);
    std::vector<wire::AuditEntry> entries;  // newest first while paging
    bool more = true;
    while (more && entries.size() < options.limit) {
        request.limit = static_cast<std::uint16_t>(
            std::min<std::size_t>(wire::kMaxAuditPage, options.limit - entries.size()));
        wire::AuditPage page;
        if (const int status = exchange(ctx, request, page); status != kExitOk) return status;
        more = page.more;
        if (page.entries.empty()) break;
        // Ids come newest first: a page that does not go back would make us loop for ever.
        if (request.before_id != 0 && page.entries.front().id >= request.before_id)
            return fail_protocol(ctx, "an AuditPage does not go back past the id asked for");
        for (std::size_t i = 1; i < page.entries.size(); ++i)
            if (page.entries[i].id >= page.entries[i - 1].id)
                return fail_protocol(ctx, "an AuditPage is not sorted newest first");
        request.before_id = page.entries.back().id;
        entries.insert(entries.end(), std::make_move_iterator(page.entries.begin()),
                       std::make_move_iterator(page.entries.end()));
    }
    std::reverse(entries.begin(), entries.end());  // oldest first, the newest at the bottom
    if (ctx.json) {
        print_json(ctx, audit_json(entries, more));
    } else {
        print_audit_table(*ctx.out, entries);
        if (more)
            *ctx.out << "(older entries not shown: raise --limit or narrow with --since)\n";
    }
    return kExitOk;
}

int run_stats(const Context& ctx, std::uint16_t hours, bool prometheus) {
    wire::AdminStats request;
    request.hours = hours;
    wire::Stats stats;
    if (const int status = exchange(ctx, request, stats); status != kExitOk) return status;
    if (prometheus) {
        print_prometheus(*ctx.out, stats);
    } else if (ctx.json) {
        print_json(ctx, stats_json(stats));
    } else {
        print_stats(*ctx.out, stats);
    }
    return kExitOk;
}

}  // namespace kotp::admin
