#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

extern char** environ;

namespace kotp::bench {

ChildProcess::~ChildProcess() {
    if (running()) stop(std::chrono::seconds(10));
}

bool ChildProcess::start(const std::vector<std::string>& argv, const std::string& log_path, std::string& error) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        error = "cannot start " + argv[0] + ": " + std::strerror(rc);
        return false;
    }
    pid_ = pid;
    reaped_ = false;
    ended_.clear();
    code_ = -1;
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
