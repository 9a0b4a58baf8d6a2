// A whole load run: the client threads, the warm-up, the measured phase with otpd's CPU time
// sampled at its start and end, the drain, and a watch on otpd.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "load_stats.hpp"
#include "load_worker.hpp"
#include "proc_stats.hpp"

namespace kotp::bench {

struct RunLength {
    double warmup_seconds = 1;
    double seconds = 10;             // when verifications == 0
    std::uint64_t verifications = 0;
};

struct LoadResult {
    LoadStats stats;
    bool measured = false;                  // the measured phase began
    double measured_seconds = 0;
    std::optional<CpuTimes> otpd_cpu;       // otpd's CPU time in the measured phase (every node's)
    std::optional<CpuTimes> db_cpu;         // the database server's, with its child processes
    CpuTimes own_cpu;                       // kotp-load's, all threads, in the measured phase
    std::string abort_reason;               // empty unless the run was stopped early
    bool otpd_died = false;
};

// Runs the load against the otpd at settings.socket_paths (processes `otpds`, in that order;
// `db_pid` > 0: the database server, whose CPU time is measured too); `model` is updated with
// every reply that matched it.
LoadResult run_load(const LoadSettings& settings, const RunLength& length, std::span<const std::uint8_t> secrets,
                    std::vector<UserModel>& model, const std::vector<ChildProcess*>& otpds, pid_t db_pid);

}  // namespace kotp::bench
