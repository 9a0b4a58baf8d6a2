#include "load_run.hpp"

#include "interrupt.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <thread>

namespace kotp::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// The first otpd that is no longer running, or null.
ChildProcess* ended(const std::vector<ChildProcess*>& otpds) {
    for (ChildProcess* otpd : otpds)
        if (!otpd->running()) return otpd;
    return nullptr;
}

}  // namespace

LoadResult run_load(const LoadSettings& settings, const RunLength& length, std::span<const std::uint8_t> secrets,
                    std::vector<UserModel>& model, const std::vector<ChildProcess*>& otpds, pid_t db_pid) {
    Control control;
    for (ChildProcess* otpd : otpds) control.otpd_pids.push_back(otpd->pid());
    control.db_pid = db_pid;
    control.target = length.verifications;

    std::vector<std::unique_ptr<LoadWorker>> workers;
    for (unsigned t = 0; t < settings.threads; ++t) {
        std::vector<unsigned> slots;
        for (unsigned s = t; s < settings.clients; s += settings.threads) slots.push_back(s);
        workers.push_back(std::make_unique<LoadWorker>(settings, control, secrets, model, slots));
    }
    std::atomic<std::size_t> finished{0};
    std::vector<std::thread> threads;
    for (auto& w : workers)
        threads.emplace_back([&w, &finished, &control] {
            try {
                w->run();
            } catch (const std::exception& e) {
                control.abort(std::string("a client thread failed: ") + e.what());
            }
            ++finished;
        });

    LoadResult result;
    const auto started = Clock::now();
    const auto warmup_end = started + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(length.warmup_seconds));
    Clock::time_point measure_end{};
    for (;;) {
        if (const int sig = interrupted(); sig != 0)
            control.abort(std::string("interrupted by ") + strsignal(sig));
        if (const ChildProcess* gone = ended(otpds)) {
            result.otpd_died = true;
            control.abort("otpd (pid " + std::to_string(gone->pid()) + ") ended during the load (" +
                          gone->how_it_ended() + ")");
        }
        const Phase phase = control.phase.load();
        if (phase == Phase::Abort || phase == Phase::Drain) break;
        if (finished.load() == threads.size()) {  // every user of every client retired
            control.end_measurement();
            break;
        }
        const auto now = Clock::now();
        if (phase == Phase::Warmup && now >= warmup_end) {
            control.begin = Sample::take(control.otpd_pids, control.db_pid);
            control.phase.store(Phase::Measure);
            result.measured = true;
            measure_end = control.begin.time + std::chrono::duration_cast<Clock::duration>(
                                                   std::chrono::duration<double>(length.seconds));
        } else if (phase == Phase::Measure && length.verifications == 0 && now >= measure_end) {
            control.end_measurement();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // Drain: the exchanges under way finish (each within the timeout) while otpd is watched.
    while (finished.load() < threads.size()) {
        if (control.phase.load() != Phase::Abort) {
            if (const ChildProcess* gone = ended(otpds)) {
                result.otpd_died = true;
                control.abort("otpd (pid " + std::to_string(gone->pid()) + ") ended during the load (" +
                              gone->how_it_ended() + ")");
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (auto& t : threads) t.join();

    for (auto& w : workers) result.stats.merge(w->stats());
    result.abort_reason = control.abort_reason();
    if (result.measured && control.end.time != Clock::time_point{}) {
        result.measured_seconds = seconds_between(control.begin.time, control.end.time);
        if (control.begin.otpd_cpu && control.end.otpd_cpu)
            result.otpd_cpu = *control.end.otpd_cpu - *control.begin.otpd_cpu;
        if (control.begin.db_cpu && control.end.db_cpu) result.db_cpu = *control.end.db_cpu - *control.begin.db_cpu;
        result.own_cpu = control.end.own_cpu - control.begin.own_cpu;
    }
    return result;
}

}  // namespace kotp::bench
