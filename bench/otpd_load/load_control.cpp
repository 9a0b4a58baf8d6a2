#include "load_control.hpp"

namespace kotp::bench {

Sample Sample::take(pid_t otpd_pid) {
    Sample s;
    s.otpd_cpu = process_cpu(otpd_pid);
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
    end = Sample::take(otpd_pid);
    phase.compare_exchange_strong(expected, Phase::Drain);
}

void Control::abort(const std::string& why) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (abort_reason_.empty()) abort_reason_ = why;
    if (phase.load() == Phase::Measure) end = Sample::take(otpd_pid);
    phase.store(Phase::Abort);
}

std::string Control::abort_reason() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return abort_reason_;
}

}  // namespace kotp::bench
