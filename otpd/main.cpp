// otpd: the kotp daemon. Runs in the foreground and logs to stderr (journald under systemd).
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>

#include "admin_rekey.hpp"
#include "admin_service.hpp"
#include "audit_retention.hpp"
#include "commit_group.hpp"
#include "config.hpp"
#include "environment.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "master_key.hpp"
#include "peer.hpp"
#include "process_hygiene.hpp"
#include "rate_limit.hpp"
#include "resources.hpp"
#include "request_handler.hpp"
#include "secret_box.hpp"
#include "server.hpp"
#include "sqlite_store.hpp"
#include "pg_session.hpp"
#include "store_open.hpp"
#include "uid_map.hpp"
#include "verifier.hpp"

namespace {

constexpr const char* kDefaultConfig = "/etc/kotp/otpd.conf";

int fail(const std::string& message) {
    kotp::otpd::log_line(kotp::otpd::LogLevel::Error, message);
    sd_notifyf(0, "STATUS=failed: %s", message.c_str());
    return 1;
}

bool ensure_state_dir(const std::string& dir, std::string& error) {
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return true;
        error = "state directory " + dir + " is not a directory";
        return false;
    }
    error = "cannot create state directory " + dir + ": " + std::strerror(errno);
    return false;
}

// A new master key is made only for a new database. Next to an existing one, a missing key file
// is a lost key or a failed restore: a fresh key would open none of its secrets and would seal new
// ones that the restored key then cannot open.
bool key_file_fits_database(const std::string& key_path, const std::string& database_path, std::string& error) {
    struct stat st {};
    if (::lstat(key_path.c_str(), &st) == 0 || errno != ENOENT) return true;  // the loader judges it
    if (::lstat(database_path.c_str(), &st) != 0 || st.st_size == 0) return true;
    error = "master key file " + key_path + " is missing but database " + database_path +
            " exists: its token secrets cannot be opened without that key. Restore the key file from "
            "the backup; otpd makes a new key only for a new database (move the database away to "
            "start afresh)";
    return false;
}

int run(const kotp::otpd::Config& config) {
    using namespace kotp::otpd;
    // SIGTERM and SIGINT are caught from here on and queued until the handler below is armed:
    // the socket accepts connections before that, and a stop in between (systemd's, a test's)
    // must still end in a clean shutdown, not in death by the signal.
    boost::asio::io_context io(1);
    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    std::string error;
    if (!ensure_state_dir(config.state_dir, error)) return fail(error);

    OsRandom random;
    SystemClock clock;
    // SQLite: the key check looks at the file before the store creates it. A shared database:
    // the store first, because whether a key may be made depends on what the database holds.
    std::unique_ptr<Store> store;
    const bool shared = !config.storage.empty();
    if (shared) {
        try {
            store = open_shared_store(config);
        } catch (const StoreError& e) {
            return fail(e.what());
        }
        error = check_key_file_for_shared_store(config, *store);
        if (!error.empty()) return fail(error);
    } else if (!key_file_fits_database(config.master_key_path(), config.database_path(), error)) {
        return fail(error);
    }
    auto keys = load_or_create_master_keys(config.master_key_path(), random, error);
    if (!keys) return fail(error);
    try {
        if (!shared) store = std::make_unique<SqliteStore>(config.database_path());
        if (shared) error = check_keys_match_shared_store(config, *keys, *store);
    } catch (const StoreError& e) {
        return fail(e.what());
    }
    if (!error.empty()) return fail(error);

    SecretBox box(*keys, random);
    Authorizer authorizer(config.admin_group);
    Verifier verifier(*store, box, random, clock, config);
    AdminService admin(*store, box, random, clock, config);
    CommitGroup group(io, *store);
    // A rekey's batches queue behind the requests waiting on the same thread, each in a
    // transaction of its own outside the groups of requests.
    RekeyService rekey(*store, *keys, box, random, clock, config.master_key_path(),
                       [&io, &group](std::function<void()> batch) {
                           boost::asio::post(io, [&group, batch = std::move(batch)] { group.outside(batch); });
                       });
    RequestHandler handler(verifier, admin, authorizer, &rekey);
    group.on_failure([&handler](const std::string& what) { handler.storage_failed(what); });
    RateLimits rate_limits(config);
    handler.set_rate_limits(&rate_limits);

    Listener listener = open_listener(config.socket_path, error);
    if (listener.fd < 0) return fail(error);

    Server server(io, listener.fd, handler, group, config, authorizer);
    // The audit retention: a purge at start, then once a day on the same thread as the requests.
    boost::asio::steady_timer purge_timer(io);
    std::function<void()> purge_daily = [&] {
        purge_expired_audit(*store, clock, config.audit_retention);
        purge_timer.expires_after(std::chrono::hours(24));
        purge_timer.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) purge_daily();
        });
    };
    signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
        if (ec) return;
        log_line(LogLevel::Notice, std::string("received ") + strsignal(signal_number) + ", shutting down");
        sd_notify(0, "STOPPING=1");
        server.stop();
        purge_timer.cancel();
        io.stop();
    });
    server.start();
    if (config.audit_retention.count() != 0) purge_daily();

    if (const auto warning = uid_map_warning(); !warning.empty()) log_line(LogLevel::Warning, warning);
    log_line(LogLevel::Notice, "otpd " KOTP_VERSION " serving " +
                                   (listener.activated ? std::string("a socket passed by systemd")
                                                       : config.socket_path) +
                                   ", " + storage_description(config) +
                                   ", lockout after " + std::to_string(config.lockout_threshold) + " failures");
    sd_notifyf(0, "READY=1\nSTATUS=serving %s", config.socket_path.c_str());
    io.run();
    close_listener(listener, config.socket_path);
    log_line(LogLevel::Notice, "otpd stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    ::umask(077);  // database, WAL, key: nobody but otpd's user
    ::signal(SIGPIPE, SIG_IGN);
    kotp::otpd::return_large_blocks();
    // Before anything is opened: no descriptor of the parent's (a leaked pipe, a terminal, a
    // database) stays in the process that holds the secrets, and no core file can carry them.
    const int closed_fds = kotp::otpd::close_inherited_fds();
    const std::string dump_error = kotp::otpd::forbid_core_dumps();
    if (!dump_error.empty()) return fail(dump_error);

    CLI::App app{"otpd: the kotp one-time-password daemon. It holds every secret and counter, and "
                 "answers pam_kotp.so, kotp-admin and kotp on a Unix socket."};
    std::string config_path;
    std::string socket_path;
    std::string state_dir;
    bool check_only = false;
    bool allow_root = false;
    app.add_option("-c,--config", config_path, std::string("configuration file (default ") + kDefaultConfig + ")");
    app.add_option("-s,--socket", socket_path, "socket path (overrides 'socket' in the configuration)");
    app.add_option("-d,--state-dir", state_dir, "state directory (overrides 'state_dir')");
    app.add_flag("--check-config", check_only, "parse the configuration, print the settings and exit");
    app.add_flag("--allow-root", allow_root,
                 "run even as root (otpd needs no privilege: run it as its own user, as otpd.service does)");
    app.set_version_flag("--version", "otpd " KOTP_VERSION);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    kotp::otpd::Config config;
    const bool explicit_config = !config_path.empty();
    if (!explicit_config) config_path = kDefaultConfig;
    if (auto e = kotp::otpd::load_config_file(config_path, explicit_config, config)) return fail(e->message);
    auto absolute = [](const std::string& p) {
        if (p.empty() || p.front() == '/') return p;
        char cwd[4096];
        return ::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + p : p;
    };
    if (!socket_path.empty()) config.socket_path = absolute(socket_path);
    if (!state_dir.empty()) config.state_dir = absolute(state_dir);

    if (check_only) {
        std::cout << "configuration " << config_path << " is valid\n"
                  << "socket = " << config.socket_path << "\nstate_dir = " << config.state_dir
                  << "\nstorage = " << (config.storage.empty() ? "sqlite" : kotp::otpd::describe_pg_conninfo(config.storage))
                  << "\ndatabase = " << config.database_path() << "\nmaster_key = " << config.master_key_path()
                  << "\nlockout_threshold = " << config.lockout_threshold
                  << "\nlockout_duration = " << config.lockout_duration.count() << "s\nwindow = " << config.window
                  << "\naudit_retention = " << config.audit_retention.count() << "s\n";
        return 0;
    }
    if (kotp::otpd::running_as_root() && !allow_root)
        return fail("otpd refuses to run as root: it needs no privilege and holds every secret. Run it as "
                    "its own user (otpd.service uses _otpd), or pass --allow-root to accept the risk");
    if (const auto raised = kotp::otpd::raise_descriptor_limit(); !raised.empty())
        kotp::otpd::log_line(kotp::otpd::LogLevel::Info, raised);
    if (closed_fds > 0)
        kotp::otpd::log_line(kotp::otpd::LogLevel::Info,
                             "closed " + std::to_string(closed_fds) + " inherited file descriptor(s)");
    try {
        return run(config);
    } catch (const std::exception& e) {
        return fail(std::string("fatal: ") + e.what());
    }
}
