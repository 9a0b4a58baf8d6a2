// kotp-admin migrate-storage: otpd's SQLite state copied into PostgreSQL for cluster mode. Unlike
// the other commands it does not talk to otpd: it reads the file and writes the database itself
// (otpd/storage_copy.cpp), and then says what each node needs to use the database.
#include <unistd.h>

#include <filesystem>
#include <iomanip>
#include <sstream>

#include "commands.hpp"
#include "kotp/wipe.hpp"
#include "password_file.hpp"
#include "report.hpp"
#include "storage_copy.hpp"

namespace kotp::admin {
namespace {

using nlohmann::json;
using otpd::StorageCopyError;

const char* error_code(StorageCopyError::Kind kind) {
    switch (kind) {
        case StorageCopyError::Kind::Source: return "source_unusable";
        case StorageCopyError::Kind::TargetNotEmpty: return "target_not_empty";
        case StorageCopyError::Kind::Mismatch: return "count_mismatch";
        case StorageCopyError::Kind::Target: break;
    }
    return "target_failed";
}

std::string seconds_text(double seconds) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(1) << seconds << " s";
    return text.str();
}

void print_json_report(const Context& ctx, const otpd::StorageCopyReport& report) {
    json rows = json::object();
    json next_ids = json::object();
    for (const auto& t : report.tables) {
        rows[t.name] = t.rows;
        if (t.next_id != 0) next_ids[t.name] = t.next_id;
    }
    print_json(ctx, json{{"source", report.source},
                         {"target", report.target},
                         {"schema_created", report.schema_found == 0},
                         {"rows", rows},
                         {"next_ids", next_ids},
                         {"key_checks_found", report.key_checks},
                         {"seconds", report.seconds}});
}

void print_text_report(const Context& ctx, const otpd::StorageCopyReport& report, const std::string& to,
                       const std::string& password_file) {
    auto& out = *ctx.out;
    out << "Copied " << report.source << " into " << report.target << " in " << seconds_text(report.seconds)
        << ":\n";
    for (const auto& t : report.tables) out << "  " << std::left << std::setw(18) << t.name << std::right
                                            << std::setw(10) << t.rows << '\n';
    const auto key_file = (std::filesystem::path(report.source).parent_path() / "master.key").string();
    out << "\nNext, on every otpd node:\n"
        << "  1. Copy this node's master key file (" << key_file << " unless otpd.conf sets master_key)\n"
        << "     to the node, mode 0600, owned by otpd's user: the secrets were copied sealed with it.\n"
        << "  2. In otpd.conf set\n"
        << "       storage = " << to << '\n'
        << "       storage_password_file = "
        << (password_file.empty() ? "FILE   (if the server asks for a password)" : password_file) << '\n'
        << "     (the password file mode 0640, owned by root:_otpd).\n"
        << "  3. Restart otpd (systemctl restart otpd).\n"
        << report.source << " was left as it was: it serves as the fallback (storage = sqlite) until\n"
        << "the nodes record new logins in the shared database.\n";
    if (report.key_checks != 0)
        out << "\nNote: " << report.target << " already holds " << report.key_checks
            << " master key check value(s), left by an otpd node\n"
            << "that started on it. A node whose master.key differs from those refuses to start: if that\n"
            << "node had a key other than this node's, stop it and run DELETE FROM master_key_checks in\n"
            << "the database before the nodes start with this node's master.key.\n";
}

}  // namespace

int run_migrate_storage(const Context& ctx, const std::string& from, const std::string& to,
                        const std::string& password_file) {
    if (const auto why = otpd::check_copy_target(to); !why.empty()) {
        const int status = fail(ctx, kExitUsage, "bad_target", "--to " + why);
        *ctx.err << "Run with --help for more information.\n";
        return status;
    }
    std::string password;
    if (!password_file.empty()) {
        std::string error;
        if (!otpd::read_password_file(password_file, password, error))
            return fail(ctx, kExitRefused, "password_file", error);
    }
    const otpd::PgTarget target(to, std::move(password));
    wipe(password);

    // Progress on a terminal only: "\r" lines would litter a log.
    otpd::CopyProgress progress;
    const bool show_progress = !ctx.json && ::isatty(STDERR_FILENO) == 1;
    if (show_progress)
        progress = [&ctx](std::string_view table, std::int64_t done, std::int64_t total) {
            *ctx.err << "\rcopying " << table << ": " << done << " of " << total << " rows\x1b[K" << std::flush;
        };
    otpd::StorageCopyReport report;
    try {
        report = otpd::copy_sqlite_to_pg(from, target, progress);
    } catch (const StorageCopyError& e) {
        if (show_progress) *ctx.err << "\r\x1b[K" << std::flush;
        return fail(ctx, kExitRefused, error_code(e.kind()), e.what());
    }
    if (show_progress) *ctx.err << "\r\x1b[K" << std::flush;
    if (ctx.json)
        print_json_report(ctx, report);
    else
        print_text_report(ctx, report, to, password_file);
    return kExitOk;
}

}  // namespace kotp::admin
