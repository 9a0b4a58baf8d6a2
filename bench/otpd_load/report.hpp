// kotp-load's report: human-readable on stdout, and the same numbers as JSON (--json FILE) for
// scripts and the CTest regression guard.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "load_run.hpp"
#include "options.hpp"
#include "proc_stats.hpp"
#include "token_model.hpp"

namespace kotp::bench {

struct RunReport {
    Options options;
    std::uint64_t seed = 0;
    OtpdRules rules;
    std::string state_dir;

    // Enrolment.
    bool enrolled = false;      // the users were enrolled by this run or reused
    bool reused_state = false;
    double csv_seconds = 0;     // writing the import file (this run)
    double enrol_seconds = 0;   // kotp-admin import (this run, or the run that made the state)

    // The load (absent when the setup failed).
    std::optional<LoadResult> load;
    // otpd's memory; with several nodes the largest peak and the largest RSS of them.
    std::optional<MemoryUse> memory_after_enrol;  // otpd before the load
    bool peak_reset = false;                      // VmHWM reset before the load: the peak is the load's
    std::optional<MemoryUse> memory_end;          // otpd at the end of the load
    std::string otpd_end;                         // how otpd ended after SIGTERM (every node)

    // The verdict.
    int exit_code = 0;
    std::string failure;  // empty when every outcome was the predicted one
    std::string state_note;
};

void print_report(std::ostream& out, const RunReport& report);

bool write_json_report(const std::string& path, const RunReport& report, std::string& error);

}  // namespace kotp::bench
