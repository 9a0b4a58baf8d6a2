// kotp-admin rekey: starts a run in otpd, then asks how it is doing until it is over. The run
// goes on inside otpd if this program is interrupted; a later `kotp-admin rekey` is refused
// until it ends.
#include <unistd.h>

#include <chrono>
#include <thread>

#include "exchange.hpp"

namespace kotp::admin {
namespace {

using nlohmann::json;

constexpr auto kPollInterval = std::chrono::milliseconds(200);

std::string id_list(const std::vector<std::uint32_t>& ids) {
    std::string text;
    for (const auto id : ids) text += (text.empty() ? "" : ", ") + std::to_string(id);
    return text;
}

std::string backup_reminder(const wire::RekeyStatus& s) {
    return "Back up master.key again now. A database backup taken before now can only be restored with "
           "a copy of the master.key of its time" +
           (s.removed_key_ids.empty() ? std::string(".")
                                      : " (the one holding key " + id_list(s.removed_key_ids) + ").");
}

void print_summary(const Context& ctx, const wire::RekeyStatus& s) {
    if (ctx.json) {
        print_json(ctx, json{{"run", s.run},
                             {"key_id", s.key_id},
                             {"total", s.total},
                             {"resealed", s.resealed},
                             {"unreadable", s.unreadable},
                             {"removed_key_ids", s.removed_key_ids},
                             {"kept_key_ids", s.kept_key_ids},
                             {"started", json_time(s.started)},
                             {"finished", json_time(s.finished)},
                             {"reminder", backup_reminder(s)}});
        return;
    }
    auto& out = *ctx.out;
    out << "Re-sealed " << s.resealed << " secret(s) under master key " << s.key_id
        << ", the key otpd now seals with.\n";
    if (!s.removed_key_ids.empty())
        out << "Removed key(s) " << id_list(s.removed_key_ids) << " from master.key: no secret uses them.\n";
    if (!s.kept_key_ids.empty())
        out << "Kept older key(s) " << id_list(s.kept_key_ids) << " in master.key.\n";
    if (s.unreadable != 0)
        out << s.unreadable << " secret(s) did not open with any key (otpd's log names the tokens): "
            << "those users cannot log in; kotp-admin reset them.\n";
    out << backup_reminder(s) << '\n';
}

}  // namespace

int run_rekey(const Context& ctx, bool keep_old_keys) {
    wire::AdminRekey request;
    request.action = wire::RekeyAction::Start;
    request.keep_old_keys = keep_old_keys;
    wire::RekeyStatus status;
    if (const int e = exchange(ctx, request, status); e != kExitOk) return e;
    if (!status.accepted)
        return fail(ctx, kExitRefused, "rekey_running",
                    "another rekey is running (run " + std::to_string(status.run) + ", started by uid " +
                        std::to_string(status.by_uid) + ", " + std::to_string(status.resealed) + " of " +
                        std::to_string(status.total) + " secrets re-sealed); wait for it to end");
    const std::uint32_t run = status.run;
    const bool show_progress = !ctx.json && ::isatty(STDERR_FILENO) == 1;
    request.action = wire::RekeyAction::Status;
    while (status.state == wire::RekeyState::Running) {
        if (show_progress)
            *ctx.err << "\rre-sealed " << status.resealed << " of " << status.total << " secret(s)" << std::flush;
        std::this_thread::sleep_for(kPollInterval);
        if (const int e = exchange(ctx, request, status); e != kExitOk) return e;
        if (status.run != run)
            return fail(ctx, kExitRefused, describe(wire::Status::InternalError).id,
                        "otpd no longer knows rekey run " + std::to_string(run) +
                            " (was it restarted?). Every secret still opens with master.key; run kotp-admin "
                            "rekey again to finish");
    }
    if (show_progress) *ctx.err << '\n';
    if (status.state != wire::RekeyState::Done)
        return fail(ctx, kExitRefused, "KS1010",
                    "rekey failed after " + std::to_string(status.resealed) + " of " + std::to_string(status.total) +
                        " secrets: " + printable(status.text) +
                        ". Every secret still opens with master.key; run kotp-admin rekey again to finish");
    print_summary(ctx, status);
    return status.unreadable == 0 ? kExitOk : kExitRefused;
}

}  // namespace kotp::admin
