#include "process.hpp"

#include <fcntl.h>
#include <pty.h>
#include <poll.h>
#include <signal.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <fstream>
#include <sstream>
#include <thread>

namespace kotp::test {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

std::string temp_file() {
    char pattern[] = "/tmp/kotp-run-XXXXXX";
    const int fd = ::mkstemp(pattern);
    ::close(fd);
    return pattern;
}

// What a forked child needs to exec, all of it built before the fork: a test forks from many
// threads at once, and a child that allocates (putenv growing environ, a vector of argv) can
// deadlock on an allocator lock another thread held at the fork. That hung 2 of 256 children
// for 30 s in the ASan build, whose allocator has no fork handlers.
struct PreparedExec {
    std::vector<std::string> env;  // environ with options.env set over it
    std::vector<char*> envp;
    std::vector<char*> args;
    gid_t gid = static_cast<gid_t>(-1);
    uid_t uid = static_cast<uid_t>(-1);

    PreparedExec(const std::vector<std::string>& argv, const RunOptions& options)
        : args(c_argv(argv)), gid(options.gid), uid(options.uid) {
        for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
        for (const auto& extra : options.env) {
            const auto eq = extra.find('=');
            if (eq == std::string::npos) continue;  // not NAME=VALUE
            const auto name = extra.substr(0, eq + 1);
            auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(name, 0) == 0; });
            if (it != env.end())
                *it = extra;
            else
                env.push_back(extra);
        }
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
    }
};

// In a forked child: the user and group, then the program. Allocates nothing; never returns.
[[noreturn]] void exec_prepared(PreparedExec& p) {
    if (p.gid != static_cast<gid_t>(-1) && (::setgroups(0, nullptr) != 0 || ::setgid(p.gid) != 0)) ::_exit(126);
    if (p.uid != static_cast<uid_t>(-1) && ::setuid(p.uid) != 0) ::_exit(126);
    ::execvpe(p.args[0], p.args.data(), p.envp.data());
    ::_exit(127);
}

}  // namespace

std::vector<std::string> child_env(const std::vector<std::string>& extra) {
    const char* runtime = std::getenv("KOTP_SANITIZER_PRELOAD");
    if (runtime == nullptr || *runtime == '\0') return extra;
    const std::string prefix = "LD_PRELOAD=";
    std::vector<std::string> out = extra;
    for (auto& e : out) {
        if (e.rfind(prefix, 0) == 0) e = prefix + runtime + ":" + e.substr(prefix.size());
    }
    return out;
}

TempDir::TempDir() {
    char pattern[] = "/tmp/kotp-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
}

int wait_exit(pid_t pid, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0) return -1;
        if (Clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& given) {
    RunOptions options = given;
    options.env = child_env(given.env);  // before fork: the child of a threaded test only execs
    const std::string in_path = temp_file(), out_path = temp_file(), err_path = temp_file();
    write_file(in_path, options.stdin_text);
    if (options.uid != static_cast<uid_t>(-1)) {
        ::chown(out_path.c_str(), options.uid, options.gid);
        ::chown(err_path.c_str(), options.uid, options.gid);
    }
    PreparedExec prepared(argv, options);
    const auto start = Clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int in = ::open(in_path.c_str(), O_RDONLY);
        const int out = ::open(out_path.c_str(), O_WRONLY);
        const int err = ::open(err_path.c_str(), O_WRONLY);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        exec_prepared(prepared);
    }
    RunResult result;
    result.exit_code = wait_exit(pid, options.timeout);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    ::unlink(in_path.c_str());
    ::unlink(out_path.c_str());
    ::unlink(err_path.c_str());
    return result;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path) {
    PreparedExec prepared(argv, RunOptions{});
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        const int null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, 0);
        ::dup2(log, 1);
        ::dup2(log, 2);
        exec_prepared(prepared);
    }
    return pid;
}

}  // namespace kotp::test

namespace kotp::test {

Interactive::Interactive(const std::vector<std::string>& argv, const RunOptions& given) {
    RunOptions options = given;
    options.env = child_env(given.env);
    // A pseudo-terminal, as a person has: programs line-buffer their output to it, and prompts
    // with echo off behave as they do at a real terminal.
    PreparedExec prepared(argv, options);
    int master = -1;
    pid_ = ::forkpty(&master, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
        exec_prepared(prepared);
    }
    to_child_ = master;
    from_child_ = ::dup(master);
}

Interactive::~Interactive() {
    if (to_child_ >= 0) ::close(to_child_);
    if (from_child_ >= 0) ::close(from_child_);
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

bool Interactive::expect(const std::string& needle, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (output_.find(needle) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        struct pollfd p {from_child_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char buf[4096];
        const ssize_t n = ::read(from_child_, buf, sizeof buf);
        if (n <= 0) return output_.find(needle) != std::string::npos;
        output_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
}

void Interactive::send_line(const std::string& line) {
    const std::string text = line + "\n";
    [[maybe_unused]] auto n = ::write(to_child_, text.data(), text.size());
}

int Interactive::wait(std::chrono::seconds timeout) {
    expect(std::string(1, '\0'), timeout);  // drain until the child closes the terminal (EIO)
    const int code = wait_exit(pid_, timeout);
    pid_ = -1;
    return code;
}

}  // namespace kotp::test
