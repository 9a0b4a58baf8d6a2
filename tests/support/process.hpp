// Running real programs from tests: capture their output, run them as another user, drive them
// like a person at a terminal. Shared by the module, CLI and integration tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace kotp::test {

// mkdtemp under /tmp (short enough for a socket's sun_path); removed with its contents.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

struct RunResult {
    int exit_code = -1;  // -1: killed or did not finish in time
    std::string out;
    std::string err;
    std::chrono::milliseconds elapsed{0};
};

struct RunOptions {
    std::string stdin_text;
    std::vector<std::string> env;  // extra NAME=VALUE
    uid_t uid = static_cast<uid_t>(-1);  // run as this uid/gid (needs root)
    gid_t gid = static_cast<gid_t>(-1);
    std::chrono::seconds timeout{30};
};

RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// The extra NAME=VALUE list as a child gets it. In a sanitizer build scripts/sanitize.sh names
// the sanitizer runtime in KOTP_SANITIZER_PRELOAD, and an LD_PRELOAD gets it in front: the
// runtime must be the first library loaded, both for a program we did not build (pamtester
// under pam_wrapper, which then loads our pam_kotp.so) and for ours with a preloaded helper.
std::vector<std::string> child_env(const std::vector<std::string>& extra);

// Starts argv in the background with stdout+stderr appended to log_path; returns the pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path);

// Waits for pid to exit (at most timeout, then kills it); returns its exit code, or -1.
int wait_exit(pid_t pid, std::chrono::seconds timeout);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

// A program driven through its stdin and stdout like a person at a terminal (pexpect-style):
// wait for text to appear, then type a line. stderr is merged into the output.
class Interactive {
public:
    Interactive(const std::vector<std::string>& argv, const RunOptions& options = {});
    ~Interactive();
    Interactive(const Interactive&) = delete;
    Interactive& operator=(const Interactive&) = delete;

    // Reads until the output (all of it so far) contains `needle`; false on timeout or EOF.
    bool expect(const std::string& needle, std::chrono::seconds timeout = std::chrono::seconds(10));
    void send_line(const std::string& line);
    int wait(std::chrono::seconds timeout = std::chrono::seconds(10));  // exit code, -1 if killed
    const std::string& output() const { return output_; }

private:
    pid_t pid_ = -1;
    int to_child_ = -1;
    int from_child_ = -1;
    std::string output_;
};

}  // namespace kotp::test
