// A program started by kotp-load (otpd, kotp-admin), stopped and reaped by its PID only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace kotp::bench {

class ChildProcess {
public:
    ChildProcess() = default;
    ~ChildProcess();  // a child still running is stopped (stop(10 s)) and reaped
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Runs argv[0] with stdin from /dev/null and stdout and stderr written to `log_path`
    // (truncated). False with `error` when it cannot be started.
    bool start(const std::vector<std::string>& argv, const std::string& log_path, std::string& error);

    pid_t pid() const { return pid_; }

    // Whether it still runs (never blocks); once it has ended, how it ended.
    bool running();
    const std::string& how_it_ended() const { return ended_; }
    // Exit status, or 128 + signal; -1 while running.
    int exit_code() const { return code_; }

    // Waits for the end, at most `limit`; false if it still runs.
    bool wait_for(std::chrono::milliseconds limit);

    // SIGTERM, up to `limit` for it to end, then SIGKILL. The exit code.
    int stop(std::chrono::milliseconds limit);

private:
    void record(int status);
    pid_t pid_ = -1;
    bool reaped_ = true;
    std::string ended_;
    int code_ = -1;
};

// The last `lines` lines of a file (for an error message); "" if unreadable.
std::string tail_of_file(const std::string& path, std::size_t lines);

}  // namespace kotp::bench
