// Helpers for the module tests: a temporary directory, running a tool and capturing its stdout,
// and a fake_otpd that lives as long as the test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "process.hpp"

namespace kotp::test {


struct ProcessResult {
    int exit_code = -1;  // -1 if killed by a signal or timed out
    std::string out;     // stdout
};

// Runs argv[0] with `extra_env` added to the environment; gives up (and kills it) after
// `limit`.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env = {},
                          std::chrono::milliseconds limit = std::chrono::seconds(30));

// Runs a command line through popen and returns its stdout.
std::string command_output(const std::string& command);


// fake_otpd (tests/tools) on `socket_path`; started by the constructor, which returns once it
// listens; killed by the destructor.
class FakeOtpd {
  public:
    FakeOtpd(const std::string& socket_path, const std::vector<std::string>& arguments);
    ~FakeOtpd();
    FakeOtpd(const FakeOtpd&) = delete;
    FakeOtpd& operator=(const FakeOtpd&) = delete;

    bool ready() const { return ready_; }

  private:
    pid_t pid_ = -1;
    bool ready_ = false;
};

}  // namespace kotp::test
