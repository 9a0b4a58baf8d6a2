#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

namespace kotp::bench {

ChildProcess::~ChildProcess() {
    if (running()) stop(std::chrono::seconds(10));
}

bool ChildProcess::start(const std::vector<std::string>& argv, const std::string& log_path, std::string& error) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // The child tells an exec failure through this pipe (closed on a successful exec).
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) {
        error = std::string("pipe: ") + std::strerror(errno);
        return false;
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        ::close(report[0]);
        ::close(report[1]);
        return false;
    }
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec. If kotp-load dies, even by SIGKILL
        // (a test timeout), its otpd gets SIGTERM instead of living on.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) ::_exit(127);
        const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int err = 0;
        if (in < 0 || out < 0 || ::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
            ::dup2(out, STDERR_FILENO) < 0)
            err = errno;
        if (err == 0) {
            ::execv(args[0], args.data());
            err = errno;
        }
        [[maybe_unused]] const auto n = ::write(report[1], &err, sizeof err);
        ::_exit(127);
    }
    ::close(report[1]);
    int err = 0;
    ssize_t n = 0;
    while ((n = ::read(report[0], &err, sizeof err)) < 0 && errno == EINTR) {
    }
    ::close(report[0]);
    pid_ = pid;
    reaped_ = false;
    ended_.clear();
    code_ = -1;
    if (n == static_cast<ssize_t>(sizeof err)) {
        wait_for(std::chrono::seconds(5));
        error = "cannot start " + argv[0] + ": " + std::strerror(err);
        return false;
    }
    return true;
}

void ChildProcess::record(int status) {
    reaped_ = true;
    if (WIFEXITED(status)) {
        code_ = WEXITSTATUS(status);
        ended_ = "exit status " + std::to_string(code_);
    } else if (WIFSIGNALED(status)) {
        code_ = 128 + WTERMSIG(status);
        ended_ = std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
    }
}

bool ChildProcess::running() {
    if (pid_ <= 0 || reaped_) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        record(status);
        return false;
    }
    return true;
}

bool ChildProcess::wait_for(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

int ChildProcess::stop(std::chrono::milliseconds limit) {
    if (!running()) return code_;
    ::kill(pid_, SIGTERM);
    if (!wait_for(limit)) {
        ::kill(pid_, SIGKILL);
        wait_for(std::chrono::seconds(10));
        ended_ += " (did not end within " + std::to_string(limit.count()) + " ms of SIGTERM: SIGKILL sent)";
    }
    return code_;
}

std::string tail_of_file(const std::string& path, std::size_t lines) {
    std::ifstream in(path);
    std::deque<std::string> last;
    for (std::string line; std::getline(in, line);) {
        last.push_back(std::move(line));
        if (last.size() > lines) last.pop_front();
    }
    std::string text;
    for (const auto& l : last) text += "    " + l + "\n";
    return text;
}

}  // namespace kotp::bench
