// The phases of a load run, shared by the main thread and the client threads.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "proc_stats.hpp"

namespace kotp::bench {

enum class Phase : int {
    Warmup = 0,   // load, not counted
    Measure = 1,  // counted
    Drain = 2,    // no new exchanges; the ones under way finish (the model stays exact)
    Abort = 3,    // stop at once: otpd died or too many errors
};

// The clock, the CPU time of every otpd (summed), of the database server (--db-server-pid,
// with its child processes) and ours at one moment.
struct Sample {
    std::chrono::steady_clock::time_point time;
    std::optional<CpuTimes> otpd_cpu;  // empty when one otpd's could not be read
    std::optional<CpuTimes> db_cpu;    // empty without a database server pid, or when unreadable
    CpuTimes own_cpu;
    static Sample take(const std::vector<pid_t>& otpd_pids, pid_t db_pid);
};

struct Control {
    std::atomic<Phase> phase{Phase::Warmup};
    std::uint64_t target = 0;               // > 0: the measured phase ends after this many
    std::atomic<std::uint64_t> measured{0};
    std::atomic<std::uint64_t> errors{0};
    std::vector<pid_t> otpd_pids;
    pid_t db_pid = 0;  // 0: none

    Sample begin;  // written by the main thread before phase Measure
    Sample end;    // written once, by whoever ends the measured phase

    // Measure -> Drain and the end sample, once (main thread on time, or the client thread whose
    // exchange was the target-th).
    void end_measurement();
    // Stops everything; the first reason is kept.
    void abort(const std::string& why);
    std::string abort_reason();

private:
    std::mutex mutex_;
    std::string abort_reason_;
};

}  // namespace kotp::bench
