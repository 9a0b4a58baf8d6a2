// What /proc and getrusage say about a process: CPU seconds and memory.
#pragma once

#include <sys/types.h>

#include <optional>

namespace kotp::bench {

struct CpuTimes {
    double user = 0;  // seconds
    double sys = 0;
    double total() const { return user + sys; }
};

inline CpuTimes operator-(const CpuTimes& a, const CpuTimes& b) { return {a.user - b.user, a.sys - b.sys}; }

// utime and stime of every thread of `pid` (/proc/PID/stat, clock-tick resolution).
std::optional<CpuTimes> process_cpu(pid_t pid);

// A server's whole CPU time: utime and stime of `pid` and of its child processes, both the
// running ones (their /proc/PID/stat) and those that ended and were reaped (cutime and cstime
// of `pid`). For PostgreSQL: the postmaster, the backends, the WAL writer, the checkpointer ...
std::optional<CpuTimes> process_tree_cpu(pid_t pid);

// This process, every thread (getrusage RUSAGE_SELF).
CpuTimes own_cpu();

struct MemoryUse {
    double peak_mib = 0;  // VmHWM
    double rss_mib = 0;   // VmRSS
};

std::optional<MemoryUse> process_memory(pid_t pid);

// Resets VmHWM to the current RSS (writes 5 to /proc/PID/clear_refs); false when not allowed.
bool reset_peak_memory(pid_t pid);

}  // namespace kotp::bench
