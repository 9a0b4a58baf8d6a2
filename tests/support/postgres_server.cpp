#include "postgres_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

namespace kotp::test {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

const char* const kSuperuser = "kotp_admin";

std::string tail(const std::string& path, std::size_t max_chars = 3000) {
    const std::string text = read_file(path);
    return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    std::size_t got = 0;
    while (got < bytes) {
        const ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(std::string("getrandom failed: ") + std::strerror(errno));
        got += static_cast<std::size_t>(n);
    }
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char c : raw) {
        out += digits[c >> 4];
        out += digits[c & 0xf];
    }
    return out;
}

// A file only `uid` can read (mode 0600), holding `text`.
void write_private_file(const std::string& path, const std::string& text, uid_t uid, gid_t gid) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("could not create " + path + ": " + std::strerror(errno));
    const bool ok = ::fchmod(fd, 0600) == 0 &&
                    (uid == static_cast<uid_t>(-1) || ::fchown(fd, uid, gid) == 0) &&
                    ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const int saved = errno;
    ::close(fd);
    if (!ok) throw std::runtime_error("could not write " + path + ": " + std::strerror(saved));
}

// A TCP port of 127.0.0.1 that nobody listens on: the kernel's pick for a bind to port 0.
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket() failed: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    const int saved = errno;
    ::close(fd);
    if (!ok) throw std::runtime_error(std::string("could not pick a free port on 127.0.0.1: ") + std::strerror(saved));
    return ntohs(addr.sin_port);
}

// Starts argv[0] (an absolute path) in `cwd` as uid/gid (-1: ourselves) with stdout and stderr
// appended to log_path. The child gets SIGINT if we die (a fast shutdown for a postmaster, a
// clean-up for initdb), so a crashed test leaves no server behind.
pid_t spawn_as(const std::vector<std::string>& argv, const std::string& log_path, const std::string& cwd,
               uid_t uid, gid_t gid) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log < 0 || null < 0) {
        if (log >= 0) ::close(log);
        if (null >= 0) ::close(null);
        throw std::runtime_error("could not open " + log_path + " for " + argv[0]);
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {  // only async-signal-safe calls from here: the test may have threads
        ::dup2(null, 0);
        ::dup2(log, 1);
        ::dup2(log, 2);
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        for (const int sig : {SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGCHLD, SIGHUP}) ::signal(sig, SIG_DFL);
        if (::chdir(cwd.c_str()) != 0) ::_exit(126);
        if (gid != static_cast<gid_t>(-1) && (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0)) ::_exit(126);
        if (uid != static_cast<uid_t>(-1) && ::setuid(uid) != 0) ::_exit(126);
        // After setuid: a change of credentials clears the parent-death signal.
        if (::prctl(PR_SET_PDEATHSIG, SIGINT) != 0 || ::getppid() != parent) ::_exit(126);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    const int saved = errno;
    ::close(log);
    ::close(null);
    if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(saved));
    return pid;
}

}  // namespace

std::string PostgresServer::bin_dir() {
    std::error_code ec;
    int best = -1;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        if (!fs::exists(entry.path() / "bin" / "postgres", ec)) continue;
        best = std::max(best, std::stoi(name));
    }
    return best < 0 ? "" : "/usr/lib/postgresql/" + std::to_string(best) + "/bin";
}

bool PostgresServer::available() {
    const std::string bin = bin_dir();
    if (bin.empty()) return false;
    for (const char* program : {"initdb", "postgres", "psql", "pg_isready"})
        if (::access((bin + "/" + program).c_str(), X_OK) != 0) return false;
    return true;
}

PostgresServer::PostgresServer() : bin_(bin_dir()), password_file_(dir_.file("kotp-password")) {
    if (!available())
        throw std::runtime_error(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin "
            "(install the postgresql package: scripts/install-deps.sh)");
    if (::geteuid() == 0) {
        const passwd* user = ::getpwnam("postgres");
        if (user == nullptr) user = ::getpwnam("nobody");
        if (user == nullptr) throw std::runtime_error("neither a postgres nor a nobody user exists to run PostgreSQL as");
        uid_ = user->pw_uid;
        gid_ = user->pw_gid;
        if (::chown(dir().c_str(), uid_, gid_) != 0)
            throw std::runtime_error("could not hand " + dir() + " to the postgres user: " + std::strerror(errno));
    }
    port_ = free_port();

    // The superuser's password only satisfies initdb (--auth-host needs one); we use the socket.
    const std::string admin_pwfile = dir_.file("admin-password");
    write_private_file(admin_pwfile, random_hex(24) + "\n", uid_, gid_);
    const std::string initdb_log = dir_.file("initdb.log");
    const pid_t initdb = spawn_as({bin_ + "/initdb", "-D", dir_.file("data"), "-U", kSuperuser, "--pwfile=" + admin_pwfile,
                                   "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
                                   "--no-sync", "--no-instructions"},
                                  initdb_log, dir(), uid_, gid_);
    const int code = wait_exit(initdb, std::chrono::seconds(120));
    ::unlink(admin_pwfile.c_str());
    if (code != 0)
        throw std::runtime_error("initdb failed (exit " + std::to_string(code) + "); its log:\n" + tail(initdb_log));

    start();
    try {
        const std::string password = random_hex(24);
        write_private_file(password_file_, password + "\n", static_cast<uid_t>(-1), static_cast<gid_t>(-1));
        // A failed statement is not logged: this one holds the password.
        psql("SET log_min_error_statement = panic;\n"
             "CREATE ROLE kotp LOGIN PASSWORD '" + password + "';\n"
             "CREATE DATABASE kotp OWNER kotp;\n",
             "postgres");
    } catch (...) {
        stop();
        throw;
    }
}

PostgresServer::~PostgresServer() { stop(); }

void PostgresServer::start() {
    if (pid_ > 0) return;
    // trust on the socket is safe: it lives in our 0700 temp folder. TCP asks for passwords.
    pid_ = spawn_as({bin_ + "/postgres", "-D", dir_.file("data"), "-p", std::to_string(port_), "-k", dir(), "-c",
                     "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "logging_collector=off"},
                    log_path(), dir(), uid_, gid_);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    for (;;) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("postgres exited while starting on 127.0.0.1:" + std::to_string(port_) +
                                     "; its log:\n" + tail(log_path()));
        }
        // Accepting on TCP, then a real query over our own socket (the port is surely ours).
        RunOptions quick;
        quick.timeout = std::chrono::seconds(5);
        const RunResult ready =
            run({bin_ + "/pg_isready", "-q", "-h", host(), "-p", std::to_string(port_), "-t", "1"}, quick);
        if (ready.exit_code == 0) {
            try {
                psql("SELECT 1", "postgres");
                return;
            } catch (const std::runtime_error&) {
                // not ready after all: try again until the deadline
            }
        }
        if (Clock::now() > deadline) {
            stop();
            throw std::runtime_error("postgres did not accept connections on 127.0.0.1:" + std::to_string(port_) +
                                     " within 30 s; its log:\n" + tail(log_path()));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void PostgresServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGINT);  // fast shutdown: roll back open transactions, checkpoint, exit
    wait_exit(pid_, std::chrono::seconds(30));  // SIGKILLs it past the timeout
    pid_ = -1;
}

std::string PostgresServer::url(const std::string& database) const {
    return "postgresql://kotp@" + host() + ":" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::psql(const std::string& sql, const std::string& database) const {
    // The SQL goes through stdin, never the command line (it may hold a password).
    RunOptions options;
    options.stdin_text = sql;
    const RunResult r = run({bin_ + "/psql", "-X", "-A", "-t", "-q", "-w", "-v", "ON_ERROR_STOP=1", "-h", dir(), "-p",
                             std::to_string(port_), "-U", kSuperuser, "-d", database, "-f", "-"},
                            options);
    if (r.exit_code != 0)
        throw std::runtime_error("psql as " + std::string(kSuperuser) + " on database " + database + " failed (exit " +
                                 std::to_string(r.exit_code) + "): " + r.err);
    return r.out;
}

std::string PostgresServer::create_database(const std::string& name) {
    const bool valid = !name.empty() && name.size() <= 63 && !(name[0] >= '0' && name[0] <= '9') &&
                       std::all_of(name.begin(), name.end(),
                                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
    if (!valid) throw std::runtime_error("create_database: '" + name + "' is not a database name ([a-z_][a-z0-9_]*)");
    psql("CREATE DATABASE " + name + " OWNER kotp;", "postgres");
    return url(name);
}

}  // namespace kotp::test
