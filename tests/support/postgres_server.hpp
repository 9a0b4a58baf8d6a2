// A real PostgreSQL server for the cluster-mode tests: a cluster of its own in a temp folder under
// /tmp, listening on 127.0.0.1 at a free high port and on a Unix socket in that folder. It never
// touches the Debian default cluster (5432). As root it runs initdb and postgres as the
// `postgres` system user (or `nobody`), since both refuse to run as root.
#pragma once

#include <sys/types.h>

#include <string>

#include "process.hpp"

namespace kotp::test {

class PostgresServer {
public:
    // initdb (superuser kotp_admin, -E UTF8, C locale), start(), then the role kotp (LOGIN, a
    // random password written to password_file()) and its database kotp. Throws
    // std::runtime_error naming the step that failed (with the tail of its log).
    PostgresServer();
    ~PostgresServer();  // stop(), then the temp folder is removed
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    // True when the server binaries are installed (tests GTEST_SKIP with a clear message if not).
    static bool available();
    // /usr/lib/postgresql/<highest version>/bin, or "" when none is installed.
    static std::string bin_dir();

    // Starts the postmaster on port() and waits (30 s at most) until it answers a query; throws
    // with the tail of the server log otherwise. No-op when already running. The postmaster gets
    // SIGINT when the thread that started it ends (so a crashed test leaves no server behind):
    // start it from the thread that keeps using it.
    void start();
    // Fast shutdown (SIGINT) of the postmaster we started, SIGKILL after 30 s. No-op when stopped.
    void stop();
    void restart() { stop(); start(); }
    pid_t pid() const { return pid_; }  // the postmaster's pid, -1 when stopped

    std::string host() const { return "127.0.0.1"; }
    int port() const { return port_; }  // chosen once: the same on every restart
    std::string url() const { return url("kotp"); }  // postgresql://kotp@127.0.0.1:PORT/kotp
    std::string url(const std::string& database) const;
    // kotp's password alone on one line (mode 0600, owned by the test's user).
    const std::string& password_file() const { return password_file_; }

    // Runs sql as the superuser over the Unix socket (psql -X -A -t -q, ON_ERROR_STOP) and
    // returns its stdout: one line per row, columns separated by '|'. Throws with psql's stderr.
    std::string psql(const std::string& sql, const std::string& database = "kotp") const;
    // A new database owned by kotp (name: [a-z_][a-z0-9_]*); returns its url().
    std::string create_database(const std::string& name);

    const std::string& dir() const { return dir_.path(); }  // the temp folder
    std::string log_path() const { return dir_.file("server.log"); }

private:
    TempDir dir_;
    std::string bin_;
    uid_t uid_ = static_cast<uid_t>(-1);  // who runs initdb and postgres (-1: ourselves)
    gid_t gid_ = static_cast<gid_t>(-1);
    int port_ = 0;
    pid_t pid_ = -1;
    std::string password_file_;
};

}  // namespace kotp::test
