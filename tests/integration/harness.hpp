// Runs the real programs for the integration tests: otpd in a temp folder, kotp-admin, the
// pam_login driver (real libpam, real pam_kotp.so), pamtester and oathtool.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "process.hpp"
#include <sys/types.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

namespace kotp::integration {

using test::Interactive;
using test::read_file;
using test::run;
using test::RunOptions;
using test::RunResult;
using test::spawn;
using test::wait_exit;
using test::write_file;

// A raw client connection to otpd's socket (what a hostile client or sshd opens), or -1.
int connect_to(const std::string& path);

// The value of "key": "value" or "key": number in a flat JSON document (enough for tests).
std::string json_field(const std::string& json, const std::string& key);

// Outcomes of logins run in parallel: how many got in, how many were told the code was used.
struct LoginTally {
    int successes = 0;
    int already_used = 0;  // KS1004
};
LoginTally tally_logins(std::vector<std::future<RunResult>>& attempts);

// A live otpd in its own folder, with a PAM service file for pam_kotp.so pointing at it.
class OtpdFixture : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    void start_otpd();
    // Returns otpd's exit code (-1: killed by the signal). SIGTERM must end it with 0: in a
    // sanitizer build a finding in otpd ends it early with another code, and a test that did not
    // notice fails here.
    int stop_otpd(int signal_number);
    // otpd again with these extra lines in otpd.conf.
    void restart_with(const std::string& config);

    std::string admin_json(const std::vector<std::string>& args);  // asserts success
    RunResult admin(const std::vector<std::string>& args, const RunOptions& options = {});
    std::string enroll(const std::string& user, const std::vector<std::string>& extra = {});  // secret
    std::string totp(const std::string& secret, const std::vector<std::string>& extra = {});
    RunResult login(const std::string& user, const std::vector<std::string>& answers,
                    const RunOptions& options = {});
    // The same from another remote host (PAM_RHOST; "" for none, as a console login).
    RunResult login_from(const std::string& rhost, const std::string& user, const std::vector<std::string>& answers,
                         const RunOptions& options = {});
    // A copy of a built program (or module) in the fixture's folder, which every uid may read and
    // run: the tests run clients as nobody, and the build tree may sit under a 0700 home folder.
    std::string program(const std::string& built_path) const;

    std::string dir;
    std::string socket_path;
    std::string state_dir;
    std::string config_path;
    std::string pam_dir;
    std::string log_path;
    std::string extra_config;  // appended to otpd.conf before start
    std::vector<std::string> otpd_launcher;  // a command otpd is run under (unshare ...), if any
    pid_t otpd_pid = -1;
};

}  // namespace kotp::integration

