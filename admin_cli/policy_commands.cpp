// kotp-admin exempt, unexempt and import: the commands for cluster operations.
#include <map>

#include "exchange.hpp"
#include "import_formats.hpp"
#include "kotp/hex.hpp"

namespace kotp::admin {

int run_exempt(const Context& ctx, const std::string& user, std::int64_t until, const std::string& reason) {
    wire::AdminExempt request;
    request.user = user;
    request.until = until;
    request.reason = reason;
    return run_done_command(ctx, request, user + " exempted.");
}

int run_unexempt(const Context& ctx, const std::string& user) {
    wire::AdminUnexempt request;
    request.user = user;
    return run_done_command(ctx, request, user + " is asked for a code again.");
}

namespace {

wire::ImportToken to_wire(const ImportEntry& e) {
    wire::ImportToken t;
    t.user = e.user;
    t.type = e.type;
    t.algorithm = e.algorithm;
    t.digits = static_cast<std::uint8_t>(e.digits);
    t.period = static_cast<std::uint16_t>(e.period);
    t.counter = e.counter;
    t.secret_hex = hex_encode(e.secret);
    t.recovery_codes = e.recovery_codes;
    return t;
}

// Every file read and checked before anything is sent: one bad line imports nothing, so that a
// corrected file can simply be imported again.
ImportResult read_all(ImportFormat format, const std::vector<std::string>& files) {
    ImportResult all;
    std::map<std::string, std::string> first_seen;  // user -> origin, across files
    for (const auto& path : files) {
        ImportResult one;
        if (format == ImportFormat::GoogleAuthenticator) {
            std::string error;
            const auto user = google_authenticator_user(path, error);
            if (!user) {
                all.errors.push_back({path, error});
                continue;
            }
            one = read_import_file(format, path);
            for (auto& e : one.entries) e.user = *user;
        } else {
            one = read_import_file(format, path);
        }
        for (auto& error : one.errors) all.errors.push_back(std::move(error));
        for (auto& entry : one.entries) {
            const auto [it, inserted] = first_seen.try_emplace(entry.user, entry.origin);
            if (!inserted) {
                all.errors.push_back({entry.origin, "user " + entry.user + " again (first at " + it->second + ")"});
                wipe_secrets(entry);
                continue;
            }
            all.entries.push_back(std::move(entry));
        }
    }
    return all;
}

}  // namespace

int run_import(const Context& ctx, const ImportOptions& options) {
    ImportResult input = read_all(options.format, options.files);
    if (!input.errors.empty()) {
        for (const auto& e : input.errors) *ctx.err << ctx.program << ": " << to_string(e) << '\n';
        *ctx.err << ctx.program << ": " << input.errors.size()
                 << " problem(s) in the input; nothing was imported. Fix them and run the import again.\n";
        wipe_secrets(input);
        return kExitRefused;
    }
    std::size_t imported = 0;
    std::vector<wire::ImportFailure> refused;
    int status = kExitOk;
    if (!options.dry_run) {
        for (std::size_t first = 0; first < input.entries.size() && status == kExitOk; first += wire::kMaxImportBatch) {
            wire::AdminImport request;
            const std::size_t last = std::min(input.entries.size(), first + wire::kMaxImportBatch);
            for (std::size_t i = first; i < last; ++i) request.tokens.push_back(to_wire(input.entries[i]));
            wire::Imported reply;
            status = exchange(ctx, request, reply);
            imported += reply.imported;
            for (auto& f : reply.failures) refused.push_back(std::move(f));
        }
    }
    const std::size_t total = input.entries.size();
    wipe_secrets(input);
    if (status != kExitOk) {
        *ctx.err << ctx.program << ": the import stopped after " << imported << " of " << total
                 << " token(s); the rest were not sent. Running it again skips the users already imported.\n";
        return status;
    }
    if (ctx.json) {
        nlohmann::json failures = nlohmann::json::array();
        for (const auto& f : refused)
            failures.push_back({{"user", f.user}, {"code", describe(f.status).id}, {"reason", f.text}});
        print_json(ctx, {{"read", total}, {"imported", imported}, {"refused", std::move(failures)},
                         {"dry_run", options.dry_run}});
    } else {
        for (const auto& f : refused)
            *ctx.err << ctx.program << ": " << describe(f.status).id << ": " << f.user << ": " << printable(f.text)
                     << '\n';
        if (options.dry_run)
            *ctx.out << "Read " << total << " token(s) from " << options.files.size()
                     << " file(s); no problem found (dry run: nothing imported).\n";
        else
            *ctx.out << "Imported " << imported << " of " << total << " token(s) (active)"
                     << (refused.empty() ? "" : ", " + std::to_string(refused.size()) + " refused") << ".\n";
    }
    return refused.empty() ? kExitOk : kExitRefused;
}

}  // namespace kotp::admin
