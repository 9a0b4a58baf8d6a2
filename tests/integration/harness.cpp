#include "harness.hpp"

#include <fcntl.h>
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
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace kotp::integration {
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

bool connectable(const std::string& path) {
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = ::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

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

RunResult run(const std::vector<std::string>& argv, const RunOptions& options) {
    const std::string in_path = temp_file(), out_path = temp_file(), err_path = temp_file();
    write_file(in_path, options.stdin_text);
    if (options.uid != static_cast<uid_t>(-1)) {
        ::chown(out_path.c_str(), options.uid, options.gid);
        ::chown(err_path.c_str(), options.uid, options.gid);
    }
    const auto start = Clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int in = ::open(in_path.c_str(), O_RDONLY);
        const int out = ::open(out_path.c_str(), O_WRONLY);
        const int err = ::open(err_path.c_str(), O_WRONLY);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        for (const auto& e : options.env) ::putenv(const_cast<char*>(e.c_str()));
        if (options.gid != static_cast<gid_t>(-1) && (::setgroups(0, nullptr) != 0 || ::setgid(options.gid) != 0))
            ::_exit(126);
        if (options.uid != static_cast<uid_t>(-1) && ::setuid(options.uid) != 0) ::_exit(126);
        auto args = c_argv(argv);
        ::execvp(args[0], args.data());
        ::_exit(127);
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
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        const int null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, 0);
        ::dup2(log, 1);
        ::dup2(log, 2);
        auto args = c_argv(argv);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

std::string json_field(const std::string& json, const std::string& key) {
    const auto k = json.find("\"" + key + "\"");
    if (k == std::string::npos) return {};
    auto p = json.find(':', k);
    if (p == std::string::npos) return {};
    ++p;
    while (p < json.size() && json[p] == ' ') ++p;
    if (p < json.size() && json[p] == '"') {
        const auto end = json.find('"', p + 1);
        return json.substr(p + 1, end - p - 1);
    }
    const auto end = json.find_first_of(",}\n", p);
    return json.substr(p, end - p);
}

void OtpdFixture::SetUp() {
    char pattern[] = "/tmp/kotp-it-XXXXXX";
    dir = ::mkdtemp(pattern);
    ::chmod(dir.c_str(), 0755);  // tests also run clients as nobody
    socket_path = dir + "/otpd.sock";
    state_dir = dir + "/state";
    config_path = dir + "/otpd.conf";
    pam_dir = dir + "/pam.d";
    log_path = dir + "/otpd.log";
    std::filesystem::create_directory(pam_dir);
    ::chmod(pam_dir.c_str(), 0755);
    write_file(pam_dir + "/kotp-test", "auth required " PAM_KOTP_PATH " socket=" + socket_path + " timeout=3\n");
    ::chmod((pam_dir + "/kotp-test").c_str(), 0644);
    start_otpd();
}

void OtpdFixture::TearDown() {
    if (otpd_pid > 0) stop_otpd(SIGTERM);
    if (HasFailure()) std::cerr << "---- otpd log ----\n" << read_file(log_path) << "------------------\n";
    std::filesystem::remove_all(dir);
}

void OtpdFixture::start_otpd() {
    write_file(config_path, "# written by the integration test\nlockout_threshold = 5\n" + extra_config);
    otpd_pid = spawn({OTPD_PATH, "--config", config_path, "--socket", socket_path, "--state-dir", state_dir},
                     log_path);
    // Ready when a connection is accepted (a killed otpd leaves a stale socket file behind).
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!connectable(socket_path)) {
        int status = 0;
        ASSERT_EQ(::waitpid(otpd_pid, &status, WNOHANG), 0) << "otpd exited:\n" << read_file(log_path);
        ASSERT_LT(Clock::now(), deadline) << "otpd did not create its socket:\n" << read_file(log_path);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void OtpdFixture::stop_otpd(int signal_number) {
    ::kill(otpd_pid, signal_number);
    wait_exit(otpd_pid, std::chrono::seconds(10));
    otpd_pid = -1;
}

RunResult OtpdFixture::admin(const std::vector<std::string>& args, const RunOptions& options) {
    std::vector<std::string> argv = {KOTP_ADMIN_PATH, "--socket", socket_path};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, options);
}

std::string OtpdFixture::admin_json(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = admin(argv);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r.out;
}

std::string OtpdFixture::enroll(const std::string& user, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"enroll", user};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto json = admin_json(args);
    const auto secret = json_field(json, "secret");
    EXPECT_FALSE(secret.empty()) << json;
    return secret;
}

std::string OtpdFixture::totp(const std::string& secret, const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {"oathtool"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (extra.empty()) argv.push_back("--totp");
    argv.push_back("-b");
    argv.push_back(secret);
    const auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << "oathtool failed: " << r.err;
    auto code = r.out;
    while (!code.empty() && (code.back() == '\n' || code.back() == '\r')) code.pop_back();
    return code;
}

RunResult OtpdFixture::login(const std::string& user, const std::vector<std::string>& answers,
                             const RunOptions& options) {
    std::vector<std::string> argv = {PAM_LOGIN_PATH, "--confdir", pam_dir, "--service", "kotp-test", "--user", user,
                                     "--rhost", "192.0.2.10", "--tty", "ssh"};
    for (const auto& a : answers) {
        argv.push_back("--answer");
        argv.push_back(a);
    }
    return run(argv, options);
}

}  // namespace kotp::integration

namespace kotp::integration {

Interactive::Interactive(const std::vector<std::string>& argv, const RunOptions& options) {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        ::dup2(out[1], 2);
        for (const auto& e : options.env) ::putenv(const_cast<char*>(e.c_str()));
        if (options.gid != static_cast<gid_t>(-1) && (::setgroups(0, nullptr) != 0 || ::setgid(options.gid) != 0))
            ::_exit(126);
        if (options.uid != static_cast<uid_t>(-1) && ::setuid(options.uid) != 0) ::_exit(126);
        auto args = c_argv(argv);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
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
    ::close(to_child_);
    to_child_ = -1;
    expect(std::string(1, '\0'), timeout);  // drain until EOF (a NUL never appears)
    const int code = wait_exit(pid_, timeout);
    pid_ = -1;
    return code;
}

}  // namespace kotp::integration
