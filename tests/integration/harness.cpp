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
#include <mutex>
#include <fstream>
#include <sstream>
#include <thread>

namespace kotp::integration {
namespace {

using Clock = std::chrono::steady_clock;

bool connectable(const std::string& path) {
    const int fd = connect_to(path);
    if (fd >= 0) ::close(fd);
    return fd >= 0;
}

}  // namespace

int connect_to(const std::string& path) {
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

LoginTally tally_logins(std::vector<std::future<RunResult>>& attempts) {
    LoginTally t;
    for (auto& a : attempts) {
        const auto r = a.get();
        if (r.exit_code == 0) ++t.successes;
        if (r.out.find("KS1004") != std::string::npos) ++t.already_used;
    }
    return t;
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
    write_file(pam_dir + "/kotp-test",
               "auth required " + program(PAM_KOTP_PATH) + " socket=" + socket_path + " timeout=3\n");
    ::chmod((pam_dir + "/kotp-test").c_str(), 0644);
    start_otpd();
}

void OtpdFixture::TearDown() {
    if (otpd_pid > 0) stop_otpd(SIGTERM);
    if (HasFailure()) std::cerr << "---- otpd log ----\n" << read_file(log_path) << "------------------\n";
    std::filesystem::remove_all(dir);
}

std::string OtpdFixture::program(const std::string& built_path) const {
    static std::mutex staging;  // tests run logins from several threads
    const std::lock_guard<std::mutex> lock(staging);
    const auto bin = dir + "/bin";
    const auto copy = bin + "/" + std::filesystem::path(built_path).filename().string();
    if (!std::filesystem::exists(copy)) {
        std::filesystem::create_directories(bin);
        ::chmod(bin.c_str(), 0755);
        std::filesystem::copy_file(built_path, copy + ".part");
        ::chmod((copy + ".part").c_str(), 0755);
        std::filesystem::rename(copy + ".part", copy);
    }
    return copy;
}

void OtpdFixture::start_otpd() {
    write_file(config_path, "# written by the integration test\nlockout_threshold = 5\n" + extra_config);
    std::vector<std::string> argv = otpd_launcher;
    // --allow-root: CI runs as root; as any other user the flag changes nothing.
    argv.insert(argv.end(), {OTPD_PATH, "--allow-root", "--config", config_path, "--socket", socket_path,
                             "--state-dir", state_dir});
    otpd_pid = spawn(argv, log_path);
    // Ready when a connection is accepted (a killed otpd leaves a stale socket file behind).
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!connectable(socket_path)) {
        int status = 0;
        ASSERT_EQ(::waitpid(otpd_pid, &status, WNOHANG), 0) << "otpd exited:\n" << read_file(log_path);
        ASSERT_LT(Clock::now(), deadline) << "otpd did not create its socket:\n" << read_file(log_path);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

int OtpdFixture::stop_otpd(int signal_number) {
    ::kill(otpd_pid, signal_number);
    const int code = wait_exit(otpd_pid, std::chrono::seconds(10));
    otpd_pid = -1;
    if (signal_number == SIGTERM) {
        EXPECT_EQ(code, 0) << "otpd did not stop cleanly on SIGTERM (a sanitizer finding ends "
                              "it with its own exit code)";
    }
    return code;
}

void OtpdFixture::restart_with(const std::string& config) {
    stop_otpd(SIGTERM);
    extra_config = config;
    start_otpd();
}

RunResult OtpdFixture::admin(const std::vector<std::string>& args, const RunOptions& options) {
    std::vector<std::string> argv = {program(KOTP_ADMIN_PATH), "--socket", socket_path};
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
    return login_from("192.0.2.10", user, answers, options);
}

RunResult OtpdFixture::login_from(const std::string& rhost, const std::string& user,
                                  const std::vector<std::string>& answers, const RunOptions& options) {
    std::vector<std::string> argv = {program(PAM_LOGIN_PATH), "--confdir", pam_dir, "--service", "kotp-test", "--user", user,
                                     "--tty", "ssh"};
    if (!rhost.empty()) argv.insert(argv.end(), {"--rhost", rhost});
    for (const auto& a : answers) {
        argv.push_back("--answer");
        argv.push_back(a);
    }
    return run(argv, options);
}

}  // namespace kotp::integration
