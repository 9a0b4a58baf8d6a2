#include "load_control.hpp"

namespace kotp::bench {

Sample Sample::take(const std::vector<pid_t>& otpd_pids, pid_t db_pid) {
    Sample s;
    s.otpd_cpu = CpuTimes{};
    for (const pid_t pid : otpd_pids) {
        const auto cpu = process_cpu(pid);
        if (!cpu) {
            s.otpd_cpu.reset();
            break;
        }
        s.otpd_cpu->user += cpu->user;
        s.otpd_cpu->sys += cpu->sys;
    }
    if (db_pid > 0) s.db_cpu = process_tree_cpu(db_pid);
    s.own_cpu = kotp::bench::own_cpu();
    s.time = std::chrono::steady_clock::now();
    return s;
}

void Control::end_measurement() {
    Phase expected = Phase::Measure;
    // The sample is taken just before the phase changes: an exchange that ends in between is
    // counted though its few microseconds of CPU fall after the sample. The main thread reads
    // `end` only after joining the client threads.
    const std::lock_guard<std::mutex> lock(mutex_);
    if (phase.load() != Phase::Measure) return;
    end = Sample::take(otpd_pids, db_pid);
    phase.compare_exchange_strong(expected, Phase::Drain);
}

void Control::abort(const std::string& why) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (abort_reason_.empty()) abort_reason_ = why;
    if (phase.load() == Phase::Measure) end = Sample::take(otpd_pids, db_pid);
    phase.store(Phase::Abort);
}

std::string Control::abort_reason() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return abort_reason_;
}

}  // namespace kotp::bench
