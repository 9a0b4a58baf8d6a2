#include "otpd_setup.hpp"

#include "interrupt.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace kotp::bench {
namespace {

bool connectable(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return false;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

bool write_text(const std::string& path, const std::string& text, std::string& error) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    if (!out) error = "cannot write " + path;
    return static_cast<bool>(out);
}

// Runs kotp-admin --socket SOCKET --timeout 120 --json ARGS with its output in `log_path`, and
// reads that output as JSON. Empty, with `error`, when it fails or is interrupted.
std::optional<nlohmann::json> run_admin(const std::string& admin_path, const std::string& socket,
                                        const std::vector<std::string>& args, const std::string& log_path,
                                        std::string& error) {
    ChildProcess admin;
    std::vector<std::string> argv = {admin_path, "--socket", socket, "--timeout", "120", "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string what = "kotp-admin " + args.front();
    if (!admin.start(argv, log_path, error)) return std::nullopt;
    while (!admin.wait_for(std::chrono::milliseconds(100))) {
        if (const int sig = interrupted(); sig != 0) {
            admin.stop(std::chrono::seconds(10));
            error = std::string("interrupted by ") + strsignal(sig) + " during " + what;
            return std::nullopt;
        }
    }
    if (admin.exit_code() != 0) {
        error = what + " failed (" + admin.how_it_ended() + "):\n" + tail_of_file(log_path, 15);
        return std::nullopt;
    }
    std::ifstream in(log_path);
    std::ostringstream text;
    text << in.rdbuf();
    auto json = nlohmann::json::parse(text.str(), nullptr, false);
    if (json.is_discarded()) {
        error = what + " did not print JSON:\n" + tail_of_file(log_path, 15);
        return std::nullopt;
    }
    return json;
}

}  // namespace

std::string otpd_config_text(const NodePaths& node, const OtpdRules& rules, const Options& options) {
    std::ostringstream c;
    c << "# written by kotp-load for a load test; see man otpd.conf\n"
      << "socket = " << node.socket << "\n"
      << "state_dir = " << node.otpd_state << "\n";
    if (!options.storage.empty()) {
        c << "storage = " << options.storage << "\n";
        if (!options.storage_password_file.empty())
            c << "storage_password_file = " << options.storage_password_file << "\n";
    }
    c
      << "lockout_threshold = " << rules.lockout_threshold << "\n"
      << "hotp_look_ahead = " << rules.hotp_look_ahead << "\n"
      << "window = " << rules.window << "\n"
      << "grace_period = 0\n"
      << "unenrolled = deny\n"
      << "# every exchange comes from this one load generator: without this its wrong codes would\n"
      << "# have otpd throttle the source hosts (KS1015) within a second\n"
      << "host_failure_limit = 0\n";
    return c.str();
}

bool start_otpd(const std::string& otpd_path, const NodePaths& paths, const OtpdRules& rules, const Options& options,
                ChildProcess& otpd, double limit_seconds, std::string& error) {
    if (paths.socket.size() >= sizeof(sockaddr_un{}.sun_path)) {
        error = "the socket path " + paths.socket + " is too long for a Unix socket: use a shorter --state";
        return false;
    }
    if (!write_text(paths.config, otpd_config_text(paths, rules, options), error)) return false;
    std::vector<std::string> argv = {otpd_path};
    if (::geteuid() == 0) argv.push_back("--allow-root");
    argv.insert(argv.end(), {"--config", paths.config, "--socket", paths.socket, "--state-dir", paths.otpd_state});
    if (!otpd.start(argv, paths.otpd_log, error)) return false;
    // Ready when a connection is accepted: a socket file alone may be left from a killed otpd.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit_seconds);
    while (!connectable(paths.socket)) {
        if (!otpd.running()) {
            error = "otpd ended (" + otpd.how_it_ended() + ") before it served its socket; the end of " +
                    paths.otpd_log + ":\n" + tail_of_file(paths.otpd_log, 15);
            return false;
        }
        if (const int sig = interrupted(); sig != 0) {
            error = std::string("interrupted by ") + strsignal(sig) + " while otpd started";
            return false;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            error = "otpd did not accept connections within " + std::to_string(static_cast<int>(limit_seconds)) +
                    " s; the end of " + paths.otpd_log + ":\n" + tail_of_file(paths.otpd_log, 15);
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

bool import_users(const std::string& admin_path, const StatePaths& paths, std::uint32_t users, std::string& error) {
    // --json so the count of imported users is read, not guessed from a sentence.
    const auto json = run_admin(admin_path, paths.socket(), {"import", "--format", "csv", paths.csv}, paths.import_log,
                                error);
    if (!json) return false;
    if (!json->contains("imported") || !(*json)["imported"].is_number_unsigned() ||
        (*json)["imported"].get<std::uint64_t>() != users) {
        error = "kotp-admin import did not import all " + std::to_string(users) + " users:\n" +
                tail_of_file(paths.import_log, 15);
        return false;
    }
    return true;
}

std::optional<DatabaseMark> read_database_mark(const std::string& admin_path, const StatePaths& paths,
                                               std::string& error) {
    const std::string log = paths.dir + "/admin.log";
    const auto stats = run_admin(admin_path, paths.socket(), {"stats", "--hours", "1"}, log, error);
    if (!stats) return std::nullopt;
    const auto newest = run_admin(admin_path, paths.socket(), {"log", "--limit", "1"}, log, error);
    if (!newest) return std::nullopt;
    try {
        DatabaseMark mark;
        mark.users = stats->at("users").at("total").get<std::uint64_t>();
        const auto& entries = newest->at("entries");
        if (!entries.empty()) mark.newest_audit_id = entries.back().at("id").get<std::int64_t>();
        return mark;
    } catch (const nlohmann::json::exception& e) {
        error = std::string("unexpected JSON from kotp-admin stats or log: ") + e.what();
        return std::nullopt;
    }
}

}  // namespace kotp::bench
