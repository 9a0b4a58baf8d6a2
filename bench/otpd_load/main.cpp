// kotp-load: the otpd load generator (bench/README.md). Sets up a state directory, starts otpd
// there, enrols N users with kotp-admin import, drives C concurrent login exchanges with a mix
// of right, wrong and replayed codes, predicts every reply exactly, and reports verifications per
// second, latency, otpd's CPU time and memory. Exit status: see --help.
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include "bench_state.hpp"
#include "child_process.hpp"
#include "fast_hotp.hpp"
#include "interrupt.hpp"
#include "load_run.hpp"
#include "options.hpp"
#include "otpd_setup.hpp"
#include "proc_stats.hpp"
#include "report.hpp"

namespace {

using namespace kotp::bench;
using Clock = std::chrono::steady_clock;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSetup = 3;
constexpr double kOtpdStartSeconds = 120;  // a large database takes a moment to open

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void note(const std::string& text) { std::cerr << "kotp-load: " << text << std::endl; }

int finish(RunReport& report) {
    print_report(std::cout, report);
    if (!report.options.json_path.empty()) {
        std::string error;
        if (!write_json_report(report.options.json_path, report, error)) {
            note(error);
            if (report.exit_code == 0) report.exit_code = kExitFailed;
        }
    }
    return report.exit_code;
}

int setup_failed(RunReport& report, const std::string& why, int code = kExitSetup) {
    report.failure = why;
    report.exit_code = code;
    return finish(report);
}

std::uint64_t random_seed() {
    std::uint64_t seed = 0;
    while (seed == 0)
        if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1) seed = 1;
    return seed % 1'000'000'000'000ULL + 1;  // short enough to type again
}

// The larger peak and RSS of two readings (several otpd: the largest process is what counts).
std::optional<MemoryUse> larger(const std::optional<MemoryUse>& a, const std::optional<MemoryUse>& b) {
    if (!a || !b) return a ? a : b;
    return MemoryUse{std::max(a->peak_mib, b->peak_mib), std::max(a->rss_mib, b->rss_mib)};
}

// The manifest of this state: `clean` and, with --storage, the newest audit id.
Manifest manifest_of(const Options& options, bool clean, double enrol_seconds, std::int64_t audit_id = -1) {
    return Manifest{options.users, options.token, clean, enrol_seconds, storage_label(options), audit_id};
}

// --storage: whether the database holds what this run expects before the load. A reused state:
// exactly its users and nothing logged since its last run ended (the newest audit id it saved).
// A new enrolment: no user at all.
std::string check_database(const Options& options, const StatePaths& paths, const PreparedState& state) {
    std::string error;
    const auto mark = read_database_mark(options.admin_path, paths, error);
    if (!mark) return "cannot read what the database holds: " + error;
    const std::string where = "the database " + options.storage;
    if (!state.reused) {
        if (mark->users == 0) return {};
        return where + " already holds " + std::to_string(mark->users) +
               " users: a new enrolment needs an empty database (drop it and create it again), and a kept one is "
               "reused only with the --state folder that enrolled it";
    }
    if (mark->users == options.users && mark->newest_audit_id == state.audit_id) return {};
    return where + " no longer matches the state in " + paths.dir + " (" + std::to_string(mark->users) +
           " users and newest audit id " + std::to_string(mark->newest_audit_id) + ", where the last run left " +
           std::to_string(options.users) + " and " + std::to_string(state.audit_id) +
           "): drop the database and create it again; the next run enrols afresh";
}

int run(const Options& options) {
    RunReport report;
    report.options = options;
    report.seed = options.seed != 0 ? options.seed : random_seed();
    const StatePaths paths = state_paths(options.state_dir);
    report.state_dir = paths.dir;

    for (const auto& [flag, path] : {std::pair{"--otpd", options.otpd_path}, std::pair{"--admin", options.admin_path}})
        if (::access(path.c_str(), X_OK) != 0 || std::filesystem::is_directory(path))
            return setup_failed(report, std::string(flag) + " " + path + " is not an executable file", kExitUsage);
    if (options.db_server_pid > 0 && !process_tree_cpu(options.db_server_pid))
        return setup_failed(report, "--db-server-pid " + std::to_string(options.db_server_pid) +
                                        ": no such process, or its /proc/PID/stat cannot be read", kExitUsage);
    {
        std::string error;
        FastHotp hotp;
        if (!check_against_common(hotp, 64, error)) return setup_failed(report, error);
    }

    PrepareError prepare_error = PrepareError::None;
    std::string error;
    PreparedState state = prepare_state(options, paths, prepare_error, error);
    if (prepare_error != PrepareError::None)
        return setup_failed(report, error, prepare_error == PrepareError::NotOurs ? kExitUsage : kExitSetup);
    report.reused_state = state.reused;
    report.state_note = "left in " + paths.dir + " (otpd.log there)";
    const bool shared = !options.storage.empty();

    // Node 0 first: with --storage it makes master.key (or checks the kept one against the
    // database), which the other nodes get a copy of.
    std::vector<std::unique_ptr<ChildProcess>> nodes;
    std::vector<ChildProcess*> otpds;
    const auto start_node = [&](unsigned k) {
        if (k > 0 && !copy_master_key(paths, k, error)) return false;
        auto& otpd = *nodes.emplace_back(std::make_unique<ChildProcess>());
        if (!start_otpd(options.otpd_path, paths.nodes[k], report.rules, options, otpd, kOtpdStartSeconds, error))
            return false;
        otpds.push_back(&otpd);
        note("otpd (pid " + std::to_string(otpd.pid()) + ") serves " + paths.nodes[k].socket +
             (shared ? ", storage " + options.storage : ""));
        return true;
    };
    if (!start_node(0)) {
        if (shared && !state.reused)
            error += "\n(kotp-load enrols afresh: the state in " + paths.dir +
                     " was not reusable. A new enrolment needs an empty database: drop it and create it again)";
        return setup_failed(report, error);
    }
    if (shared) {
        if (const auto mismatch = check_database(options, paths, state); !mismatch.empty()) {
            if (state.reused) write_manifest(paths, manifest_of(options, false, state.enrol_seconds), error);
            return setup_failed(report, mismatch);
        }
    }

    if (state.reused) {
        report.enrol_seconds = state.enrol_seconds;
        note("reusing the " + std::to_string(options.users) + " users enrolled in " +
             (shared ? options.storage + " (state in " + paths.dir + ")" : paths.dir));
        if (!write_manifest(paths, manifest_of(options, false, state.enrol_seconds), error))
            return setup_failed(report, error);
    } else {
        note("enrolling " + std::to_string(options.users) + " users (CSV, kotp-admin import)");
        auto start = Clock::now();
        if (!write_users_csv(paths, state.secrets, options.token, error)) return setup_failed(report, error);
        report.csv_seconds = since(start);
        start = Clock::now();
        const bool imported = import_users(options.admin_path, paths, options.users, error);
        report.enrol_seconds = since(start);
        std::error_code ignored;
        std::filesystem::remove(paths.csv, ignored);
        if (!imported) return setup_failed(report, error);
        note("imported in " + std::to_string(report.enrol_seconds) + " s");
        if (!write_manifest(paths, manifest_of(options, false, report.enrol_seconds), error))
            return setup_failed(report, error);
    }
    report.enrolled = true;
    for (unsigned k = 1; k < options.nodes; ++k)
        if (!start_node(k)) return setup_failed(report, error);

    report.peak_reset = true;
    for (ChildProcess* otpd : otpds) {
        report.memory_after_enrol = larger(report.memory_after_enrol, process_memory(otpd->pid()));
        report.peak_reset = reset_peak_memory(otpd->pid()) && report.peak_reset;
    }

    LoadSettings settings;
    for (unsigned k = 0; k < options.nodes; ++k) settings.socket_paths.push_back(paths.nodes[k].socket);
    settings.users = options.users;
    settings.clients = options.clients;
    settings.threads = options.threads;
    settings.token = options.token;
    settings.mix = options.mix;
    settings.rules = report.rules;
    settings.timeout_seconds = options.timeout_seconds;
    settings.seed = report.seed;
    RunLength length;
    length.warmup_seconds = options.warmup_seconds;
    length.seconds = options.seconds;
    length.verifications = options.verifications;
    note("load: " + std::to_string(options.warmup_seconds) + " s warm-up, then " +
         (options.verifications > 0 ? std::to_string(options.verifications) + " verifications"
                                    : std::to_string(options.seconds) + " s"));
    try {
        report.load = run_load(settings, length, state.secrets, state.model, otpds, options.db_server_pid);
    } catch (const std::exception& e) {
        return setup_failed(report, std::string("cannot run the load: ") + e.what());
    }
    const LoadResult& load = *report.load;
    bool died = load.otpd_died;
    for (ChildProcess* otpd : otpds) {
        if (otpd->running())
            report.memory_end = larger(report.memory_end, process_memory(otpd->pid()));
        else
            died = true;
    }
    const auto& s = load.stats;
    const bool exact = !died && load.abort_reason.empty() && s.mismatches == 0 && s.errors == 0 && s.measured > 0;

    // --storage --keep-state: what the next run must find in the database (read before the stop).
    std::int64_t audit_id = -1;
    std::string mark_error;
    if (shared && options.keep_state && exact) {
        if (const auto mark = read_database_mark(options.admin_path, paths, mark_error)) audit_id = mark->newest_audit_id;
    }

    std::string ended;  // how the nodes ended, for the failure
    int otpd_code = 0;
    for (std::size_t k = 0; k < otpds.size(); ++k) {
        ChildProcess& otpd = *otpds[k];
        const bool gone = !otpd.running();
        const int code = otpd.stop(std::chrono::seconds(30));
        if (otpd_code == 0) otpd_code = code;
        const std::string how = gone ? "ended during the load: " + otpd.how_it_ended()
                                     : otpd.how_it_ended() + " after SIGTERM";
        report.otpd_end += (k > 0 ? "; " : "") + (otpds.size() > 1 ? "node " + std::to_string(k + 1) + " " : "") + how;
        if (gone && ended.empty())
            ended = "otpd ended during the load (" + otpd.how_it_ended() + "); the end of " + paths.nodes[k].otpd_log +
                    ":\n" + tail_of_file(paths.nodes[k].otpd_log, 15);
    }

    if (died)
        report.failure = ended.empty() ? "otpd ended during the load" : ended;
    else if (!load.abort_reason.empty())
        report.failure = "the run was stopped: " + load.abort_reason;
    else if (s.mismatches > 0 || s.errors > 0)
        report.failure = std::to_string(s.mismatches) + (s.mismatches == 1 ? " reply" : " replies") +
                         " differed from the prediction, " + std::to_string(s.errors) +
                         (s.errors == 1 ? " exchange" : " exchanges") + " failed";
    else if (s.measured == 0)
        report.failure = "no verification completed in the measured phase";
    else if (otpd_code != 0)
        report.failure = "otpd did not stop cleanly on SIGTERM (" + report.otpd_end + ")";
    report.exit_code = report.failure.empty() ? 0 : kExitFailed;

    if (report.failure.empty()) {
        if (options.keep_state) {
            if (shared && audit_id < 0)
                report.state_note = "kept in " + paths.dir + " but not reusable: " + mark_error;
            else if (save_model(paths, state.model, error) &&
                     write_manifest(paths, manifest_of(options, true, report.enrol_seconds, audit_id), error))
                report.state_note = "kept in " + paths.dir + " for the next run with --users " +
                                    std::to_string(options.users) + " --token " + token_name(options.token) +
                                    (shared ? " --storage " + options.storage : "");
            else
                report.state_note = "kept in " + paths.dir + " but not reusable: " + error;
        } else {
            remove_state(paths);
            report.state_note = shared ? "removed; the users stay in " + options.storage +
                                             " (a later run needs it empty again)"
                                       : "removed";
        }
    } else {
        report.state_note = "left in " + paths.dir + " for inspection (otpd.log)" +
                            (shared ? "; a later run enrols afresh, into an emptied database" : "; a later run enrols afresh");
    }
    return finish(report);
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    catch_interrupts();
    const auto parsed = parse_options(argc, argv);
    if (!parsed.options) {
        (parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.message;
        return parsed.exit_code;
    }
    try {
        return run(*parsed.options);
    } catch (const std::exception& e) {
        std::cerr << "kotp-load: " << e.what() << "\n";
        return kExitSetup;
    }
}
