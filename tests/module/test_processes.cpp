#include "test_processes.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace kotp::test {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Forks and execs argv with stdout on a pipe; returns the child's pid and the read end.
pid_t spawn(std::vector<std::string> argv, const std::vector<std::string>& extra_env, int& out_fd) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    const auto extra = child_env(extra_env);
    env.insert(env.end(), extra.begin(), extra.end());
    auto c_argv = c_strings(argv);
    auto c_env = c_strings(env);

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::execve(c_argv[0], c_argv.data(), c_env.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    out_fd = fds[0];
    return pid;
}

int wait_exit_code(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env,
                          std::chrono::milliseconds limit) {
    int fd = -1;
    const pid_t pid = spawn(argv, extra_env, fd);
    ProcessResult result;
    const auto deadline = Clock::now() + limit;
    bool timed_out = false;
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p {
            fd, POLLIN, 0
        };
        const int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) continue;
        char buf[4096];
        const ssize_t got = ::read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        result.out.append(buf, static_cast<std::size_t>(got));
    }
    ::close(fd);
    if (timed_out) ::kill(pid, SIGKILL);
    result.exit_code = wait_exit_code(pid);
    if (timed_out) result.exit_code = -1;
    return result;
}

std::string command_output(const std::string& command) {
    std::string out;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    ::pclose(pipe);
    return out;
}


FakeOtpd::FakeOtpd(const std::string& socket_path, const std::vector<std::string>& arguments) {
    std::vector<std::string> argv = {FAKE_OTPD_PATH, "--socket", socket_path};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    int fd = -1;
    pid_ = spawn(argv, {}, fd);
    // It prints READY once it listens.
    std::string line;
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && Clock::now() < deadline) {
        struct pollfd p {
            fd, POLLIN, 0
        };
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[64];
        const ssize_t got = ::read(fd, buf, sizeof buf);
        if (got <= 0) break;
        line.append(buf, static_cast<std::size_t>(got));
    }
    ::close(fd);
    ready_ = line.rfind("READY", 0) == 0;
}

FakeOtpd::~FakeOtpd() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    wait_exit_code(pid_);
}

}  // namespace kotp::test
