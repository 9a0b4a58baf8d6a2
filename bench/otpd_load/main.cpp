// kotp-load: the otpd load generator (bench/README.md). Sets up a state directory, starts otpd
// there, enrols N users with kotp-admin import, drives C concurrent login exchanges with a mix
// of right, wrong and replayed codes, predicts every reply exactly, and reports verifications per
// second, latency, otpd's CPU time and memory. Exit status: see --help.
#include <openssl/rand.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "bench_state.hpp"
#include "child_process.hpp"
#include "fast_hotp.hpp"
#include "interrupt.hpp"
#include "load_run.hpp"
#include "options.hpp"
#include "otpd_setup.hpp"
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

int run(const Options& options) {
    RunReport report;
    report.options = options;
    report.seed = options.seed != 0 ? options.seed : random_seed();
    const StatePaths paths = state_paths(options.state_dir);
    report.state_dir = paths.dir;

    for (const auto& [flag, path] : {std::pair{"--otpd", options.otpd_path}, std::pair{"--admin", options.admin_path}})
        if (::access(path.c_str(), X_OK) != 0 || std::filesystem::is_directory(path))
            return setup_failed(report, std::string(flag) + " " + path + " is not an executable file", kExitUsage);
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

    ChildProcess otpd;
    if (!start_otpd(options.otpd_path, paths, report.rules, otpd, kOtpdStartSeconds, error))
        return setup_failed(report, error);
    note("otpd (pid " + std::to_string(otpd.pid()) + ") serves " + paths.socket);

    if (state.reused) {
        report.enrol_seconds = state.enrol_seconds;
        note("reusing the " + std::to_string(options.users) + " users enrolled in " + paths.dir);
        if (!write_manifest(paths, Manifest{options.users, options.token, false, state.enrol_seconds}, error))
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
        if (!write_manifest(paths, Manifest{options.users, options.token, false, report.enrol_seconds}, error))
            return setup_failed(report, error);
    }
    report.enrolled = true;

    report.memory_after_enrol = process_memory(otpd.pid());
    report.peak_reset = reset_peak_memory(otpd.pid());

    LoadSettings settings;
    settings.socket_path = paths.socket;
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
        report.load = run_load(settings, length, state.secrets, state.model, otpd);
    } catch (const std::exception& e) {
        return setup_failed(report, std::string("cannot run the load: ") + e.what());
    }
    const LoadResult& load = *report.load;
    if (otpd.running()) report.memory_end = process_memory(otpd.pid());

    const bool died = load.otpd_died || !otpd.running();
    const int otpd_code = otpd.stop(std::chrono::seconds(30));
    report.otpd_end = died ? "ended during the load: " + otpd.how_it_ended()
                           : otpd.how_it_ended() + " after SIGTERM";

    const auto& s = load.stats;
    if (died)
        report.failure = "otpd ended during the load (" + otpd.how_it_ended() + "); the end of " + paths.otpd_log +
                         ":\n" + tail_of_file(paths.otpd_log, 15);
    else if (!load.abort_reason.empty())
        report.failure = "the run was stopped: " + load.abort_reason;
    else if (s.mismatches > 0 || s.errors > 0)
        report.failure = std::to_string(s.mismatches) + (s.mismatches == 1 ? " reply" : " replies") +
                         " differed from the prediction, " + std::to_string(s.errors) +
                         (s.errors == 1 ? " exchange" : " exchanges") + " failed";
    else if (s.measured == 0)
        report.failure = "no verification completed in the measured phase";
    else if (otpd_code != 0)
        report.failure = "otpd did not stop cleanly on SIGTERM (" + otpd.how_it_ended() + ")";
    report.exit_code = report.failure.empty() ? 0 : kExitFailed;

    if (report.failure.empty()) {
        if (options.keep_state) {
            if (save_model(paths, state.model, error) &&
                write_manifest(paths, Manifest{options.users, options.token, true, report.enrol_seconds}, error))
                report.state_note = "kept in " + paths.dir + " for the next run with --users " +
                                    std::to_string(options.users) + " --token " + token_name(options.token);
            else
                report.state_note = "kept in " + paths.dir + " but not reusable: " + error;
        } else {
            remove_state(paths);
            report.state_note = "removed";
        }
    } else {
        report.state_note = "left in " + paths.dir + " for inspection (otpd.log); a later run enrols afresh";
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
