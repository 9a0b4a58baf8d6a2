// PostgresServer against the real server: initdb and start, the superuser over the socket, kotp
// over TCP with its password file, a restart on the same port, and a stop that closes the port.
#include "postgres_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

namespace kotp::test {
namespace {

using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Whether something accepts TCP connections on 127.0.0.1:port.
bool port_open(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return open;
}

// psql as kotp over TCP; the password reaches it through the environment, never argv.
RunResult psql_as_kotp(const std::string& url, const std::string& password, const std::string& sql) {
    RunOptions options;
    options.stdin_text = sql;
    options.env = {"PGPASSWORD=" + password};
    return run({PostgresServer::bin_dir() + "/psql", "-X", "-A", "-t", "-q", "-w", "-v", "ON_ERROR_STOP=1", "-d", url,
                "-f", "-"},
               options);
}

TEST(PostgresServerSelfTest, StartsRestartsOnTheSamePortAndStops) {
    if (!PostgresServer::available())
        GTEST_SKIP() << "PostgreSQL server binaries not installed (scripts/install-deps.sh installs postgresql)";

    std::string dir;
    pid_t first_pid = -1;
    {
        auto start = Clock::now();
        PostgresServer pg;
        std::cout << "[ timing ] initdb + first start + role and database: " << ms_since(start) << " ms\n";
        dir = pg.dir();
        first_pid = pg.pid();
        ASSERT_GT(first_pid, 0);
        const int port = pg.port();
        EXPECT_NE(port, 5432);
        EXPECT_EQ(pg.url(), "postgresql://kotp@127.0.0.1:" + std::to_string(port) + "/kotp");

        EXPECT_EQ(pg.psql("SELECT current_user, current_database();"), "kotp_admin|kotp\n");
        EXPECT_EQ(pg.psql("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = 'kotp';"), "f|t\n");
        EXPECT_EQ(pg.psql("SHOW fsync;"), "on\n");
        EXPECT_THROW(pg.psql("SELECT * FROM no_such_table;"), std::runtime_error);

        struct stat st {};
        ASSERT_EQ(::stat(pg.password_file().c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        EXPECT_EQ(st.st_uid, ::geteuid());
        std::string password = read_file(pg.password_file());
        ASSERT_FALSE(password.empty());
        EXPECT_EQ(password.find('\n'), password.size() - 1) << "the password alone on one line";
        password.pop_back();

        auto r = psql_as_kotp(pg.url(), password,
                              "SELECT current_user, current_database(), inet_server_addr();\n"
                              "CREATE TABLE kept (x int);\n"
                              "INSERT INTO kept VALUES (42);\n");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out, "kotp|kotp|127.0.0.1\n");
        r = psql_as_kotp(pg.url(), password + "x", "SELECT 1;");
        EXPECT_NE(r.exit_code, 0) << "TCP must check the password";
        EXPECT_NE(r.err.find("password authentication failed"), std::string::npos) << r.err;

        start = Clock::now();
        pg.restart();
        std::cout << "[ timing ] restart (fast shutdown + start): " << ms_since(start) << " ms\n";
        EXPECT_EQ(pg.port(), port);
        EXPECT_NE(pg.pid(), first_pid);
        r = psql_as_kotp(pg.url(), password, "SELECT x FROM kept;");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out, "42\n");

        const std::string other = pg.create_database("kotp_fresh");
        EXPECT_EQ(other, "postgresql://kotp@127.0.0.1:" + std::to_string(port) + "/kotp_fresh");
        r = psql_as_kotp(other, password, "CREATE TABLE t (x int); SELECT current_database();");
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out, "kotp_fresh\n");
        EXPECT_THROW(pg.create_database("bad-name; DROP"), std::runtime_error);

        const pid_t second_pid = pg.pid();
        pg.stop();
        EXPECT_EQ(pg.pid(), -1);
        EXPECT_FALSE(port_open(port));
        EXPECT_EQ(::kill(second_pid, 0), -1);
        pg.stop();  // stopping a stopped server is fine

        pg.start();
        EXPECT_TRUE(port_open(port));
    }
    // The destructor stopped the running server and removed its folder.
    EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace kotp::test
