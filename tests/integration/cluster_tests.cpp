// Cluster mode: two otpd, each with its own socket, state folder and PAM service file (two login
// nodes), sharing one real PostgreSQL that the test starts (initdb in a temp folder, 127.0.0.1 on
// a free port) and stops by its PID. Logins go through the real libpam and pam_kotp.so.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "postgres_server.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The PAM module's timeout in the fixture's service files (harness.cpp).
constexpr int kModuleTimeoutSeconds = 3;

class ClusterTest : public OtpdFixture {
protected:
    static void SetUpTestSuite() {
        if (!test::PostgresServer::available()) return;
        server_ = std::make_unique<test::PostgresServer>();
    }
    static void TearDownTestSuite() { server_.reset(); }

    void SetUp() override {
        if (!server_) GTEST_SKIP() << "the PostgreSQL server is not installed (scripts/install-deps.sh installs it)";
        server_->start();  // a test may have stopped it
        static std::atomic<int> databases{0};
        database_url_ = server_->create_database("cluster_" + std::to_string(::getpid()) + "_" +
                                                 std::to_string(databases++));
        extra_config = shared_storage();
        OtpdFixture::SetUp();  // node 1
        if (HasFatalFailure()) return;
        node2_dir_ = dir + "/node2";
        std::filesystem::create_directories(node2_dir_ + "/state");
        std::filesystem::create_directories(node2_dir_ + "/pam.d");
        ::chmod(node2_dir_.c_str(), 0755);
        ::chmod((node2_dir_ + "/pam.d").c_str(), 0755);
        write_file(node2_dir_ + "/pam.d/kotp-test", "auth required " + program(PAM_KOTP_PATH) + " socket=" +
                                                         node2_socket() + " timeout=" +
                                                         std::to_string(kModuleTimeoutSeconds) + "\n");
        // Every node needs the same master key file (docs/CLUSTER.md).
        std::filesystem::copy_file(state_dir + "/master.key", node2_dir_ + "/state/master.key");
        start_node2();
    }

    void TearDown() override {
        if (node2_pid_ > 0) stop_node2();
        if (HasFailure() && !node2_dir_.empty())
            std::cerr << "---- node 2's otpd log ----\n" << read_file(node2_log()) << "------------------\n";
        OtpdFixture::TearDown();
    }

    std::string shared_storage() const {
        return "storage = " + database_url_ + "\nstorage_password_file = " + server_->password_file() + "\n";
    }
    std::string node2_socket() const { return node2_dir_ + "/otpd.sock"; }
    std::string node2_log() const { return node2_dir_ + "/otpd.log"; }

    void start_node2() {
        write_file(node2_dir_ + "/otpd.conf", "lockout_threshold = 5\n" + shared_storage());
        node2_pid_ = spawn({OTPD_PATH, "--allow-root", "--config", node2_dir_ + "/otpd.conf", "--socket",
                            node2_socket(), "--state-dir", node2_dir_ + "/state"},
                           node2_log());
        for (int i = 0; i < 1000; ++i) {
            const int fd = connect_to(node2_socket());
            if (fd >= 0) {
                ::close(fd);
                return;
            }
            int status = 0;
            ASSERT_EQ(::waitpid(node2_pid_, &status, WNOHANG), 0) << "node 2's otpd exited:\n" << read_file(node2_log());
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        FAIL() << "node 2's otpd did not open its socket:\n" << read_file(node2_log());
    }
    void stop_node2() {
        ::kill(node2_pid_, SIGTERM);
        EXPECT_EQ(wait_exit(node2_pid_, std::chrono::seconds(10)), 0);
        node2_pid_ = -1;
    }

    // Node 1 is the fixture's otpd; node 2 has its own socket and PAM service folder.
    RunResult admin_on(int node, const std::vector<std::string>& args) {
        if (node == 1) return admin(args);
        std::vector<std::string> argv = {program(KOTP_ADMIN_PATH), "--socket", node2_socket()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv);
    }
    RunResult login_on(int node, const std::string& user, const std::vector<std::string>& answers) {
        if (node == 1) return login(user, answers);
        std::vector<std::string> argv = {program(PAM_LOGIN_PATH), "--confdir", node2_dir_ + "/pam.d", "--service",
                                         "kotp-test", "--user", user, "--tty", "ssh", "--rhost", "192.0.2.10"};
        for (const auto& a : answers) argv.insert(argv.end(), {"--answer", a});
        return run(argv);
    }
    // The code of the TOTP step after the current one: accepted now (window = 1), and usable
    // after the current step was spent on the first login.
    std::string next_totp(const std::string& secret) { return totp(secret, {"--totp", "--now", next_step_time()}); }
    static std::string next_step_time() {
        const std::time_t t = std::time(nullptr) + 30;
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
        return buf;
    }
    // Enrols through node 1 and spends the first code on the activating login.
    std::string enrolled_and_active(const std::string& user) {
        const auto secret = enroll(user);
        const auto first = login_on(1, user, {totp(secret)});
        EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
        return secret;
    }

    static std::unique_ptr<test::PostgresServer> server_;
    std::string database_url_;
    std::string node2_dir_;
    pid_t node2_pid_ = -1;
};

std::unique_ptr<test::PostgresServer> ClusterTest::server_;

TEST_F(ClusterTest, CodeAcceptedOnOneNodeIsRefusedOnTheOther) {
    const auto secret = enrolled_and_active("alice");
    const auto code = next_totp(secret);
    const auto on1 = login_on(1, "alice", {code});
    EXPECT_EQ(on1.exit_code, 0) << on1.out << on1.err;
    const auto on2 = login_on(2, "alice", {code});
    EXPECT_NE(on2.exit_code, 0);
    EXPECT_THAT(on2.out, HasSubstr("KS1004")) << on2.out << on2.err;  // already used
    EXPECT_THAT(read_file(node2_log()), HasSubstr("replay of an accepted code"));
}

TEST_F(ClusterTest, FailuresOnBothNodesSuspendEverywhereAndAnUnlockOnEitherNodeLifts) {
    const auto secret = enrolled_and_active("alice");
    const auto right = next_totp(secret);
    std::string wrong = right;
    wrong[0] = static_cast<char>('0' + (right[0] - '0' + 5) % 10);
    for (int i = 0; i < 3; ++i) EXPECT_THAT(login_on(1, "alice", {wrong}).out, HasSubstr("KS1003"));
    EXPECT_THAT(login_on(2, "alice", {wrong}).out, HasSubstr("1 attempt left"));  // four counted in all
    const auto fifth = login_on(2, "alice", {wrong});
    EXPECT_NE(fifth.exit_code, 0);
    for (int node : {1, 2}) {
        const auto shown = admin_on(node, {"--json", "show", "alice"});
        EXPECT_EQ(json_field(shown.out, "state"), "suspended") << "node " << node << ": " << shown.out;
        EXPECT_EQ(json_field(shown.out, "failures"), "5") << shown.out;
    }
    const auto refused = login_on(1, "alice", {right});  // a right code while suspended
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_THAT(refused.out, HasSubstr("KS1005")) << refused.out;

    ASSERT_EQ(admin_on(2, {"unlock", "alice"}).exit_code, 0);
    const auto after = login_on(1, "alice", {right});
    EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
    EXPECT_EQ(json_field(admin_on(2, {"--json", "show", "alice"}).out, "failures"), "0");
}

TEST_F(ClusterTest, TwentyParallelLoginsWithOneCodeOverBothNodesGiveExactlyOneSuccess) {
    const auto secret = enrolled_and_active("alice");
    const auto code = next_totp(secret);
    std::vector<std::future<RunResult>> attempts;
    for (int i = 0; i < 20; ++i)
        attempts.push_back(std::async(std::launch::async, [&, i] { return login_on(1 + i % 2, "alice", {code}); }));
    const auto tally = tally_logins(attempts);
    EXPECT_EQ(tally.successes, 1);
    EXPECT_EQ(tally.already_used, 19);
    // Both nodes served logins: the replay guard held across them, not inside one.
    EXPECT_THAT(read_file(log_path), HasSubstr("KS1004"));
    EXPECT_THAT(read_file(node2_log()), HasSubstr("KS1004"));
}

TEST_F(ClusterTest, DatabaseDownBothNodesRefuseAtOnceAndServeAgainWhenItIsBack) {
    const auto secret = enrolled_and_active("alice");
    const pid_t node1 = otpd_pid;
    const pid_t node2 = node2_pid_;
    server_->stop();
    for (int node : {1, 2}) {
        const auto r = login_on(node, "alice", {next_totp(secret)});
        EXPECT_NE(r.exit_code, 0) << "node " << node;
        // Refused with the service message, within the module's timeout (never a hang).
        EXPECT_THAT(r.out + r.err, HasSubstr("KS1010")) << "node " << node << ": " << r.out << r.err;
        EXPECT_LT(r.elapsed.count(), kModuleTimeoutSeconds * 1000) << "node " << node;
    }
    EXPECT_THAT(read_file(log_path), HasSubstr("KS1010 storage failure"));
    EXPECT_THAT(read_file(node2_log()), HasSubstr("KS1010 storage failure"));

    server_->start();
    // The same otpd processes, reconnected by themselves. otpd retries a failed connection once a
    // second at most; the server's start takes longer than that, but allow a second try.
    const auto code = next_totp(secret);
    auto on1 = login_on(1, "alice", {code});
    if (on1.exit_code != 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        on1 = login_on(1, "alice", {code});
    }
    EXPECT_EQ(on1.exit_code, 0) << on1.out << on1.err;
    const auto on2 = login_on(2, "alice", {code});  // and the replay guard is still shared
    EXPECT_THAT(on2.out, HasSubstr("KS1004")) << on2.out << on2.err;
    EXPECT_EQ(::kill(node1, 0), 0);
    EXPECT_EQ(::kill(node2, 0), 0);
    EXPECT_EQ(otpd_pid, node1);
    EXPECT_EQ(node2_pid_, node2);
    EXPECT_THAT(read_file(log_path), HasSubstr("KS1010 storage works again"));
}

TEST_F(ClusterTest, NodeWithAnotherMasterKeyRefusesToStart) {
    // Node 1 registered its key at start; node 2 comes back with another key under the same id.
    stop_node2();
    write_file(node2_dir_ + "/state/master.key",
               "1 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
    ::chmod((node2_dir_ + "/state/master.key").c_str(), 0600);
    write_file(node2_dir_ + "/otpd.conf", "lockout_threshold = 5\n" + shared_storage());
    const auto r = run({OTPD_PATH, "--allow-root", "--config", node2_dir_ + "/otpd.conf", "--socket", node2_socket(),
                        "--state-dir", node2_dir_ + "/state"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("is not the key 1 of the other nodes sharing this database"));
}

TEST_F(ClusterTest, FourNodesStartingAtOnceOnAnEmptyDatabaseMigrateItOnce) {
    const auto url = server_->create_database("cluster_fresh_" + std::to_string(::getpid()));
    std::vector<pid_t> nodes;
    for (int i = 0; i < 4; ++i) {
        const auto node = dir + "/fresh" + std::to_string(i);
        std::filesystem::create_directories(node + "/state");
        std::filesystem::copy_file(state_dir + "/master.key", node + "/state/master.key");
        write_file(node + "/otpd.conf", "storage = " + url + "\nstorage_password_file = " + server_->password_file() + "\n");
    }
    for (int i = 0; i < 4; ++i) {
        const auto node = dir + "/fresh" + std::to_string(i);
        nodes.push_back(spawn({OTPD_PATH, "--allow-root", "--config", node + "/otpd.conf", "--socket",
                               node + "/otpd.sock", "--state-dir", node + "/state"},
                              node + "/otpd.log"));
    }
    for (int i = 0; i < 4; ++i) {
        const auto node = dir + "/fresh" + std::to_string(i);
        bool up = false;
        for (int t = 0; t < 1000 && !up; ++t) {
            const int fd = connect_to(node + "/otpd.sock");
            up = fd >= 0;
            if (up) ::close(fd);
            else std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        EXPECT_TRUE(up) << "node " << i << ":\n" << read_file(node + "/otpd.log");
    }
    const auto database = url.substr(url.rfind('/') + 1);
    EXPECT_EQ(server_->psql("SELECT count(*), max(version) FROM kotp_schema", database), "1|1\n");
    EXPECT_EQ(server_->psql("SELECT count(*) FROM master_key_checks", database), "1\n");
    for (const pid_t pid : nodes) {
        ::kill(pid, SIGTERM);
        EXPECT_EQ(wait_exit(pid, std::chrono::seconds(10)), 0);
    }
}

// A node on SQLite, populated, then moved with kotp-admin migrate-storage into PostgreSQL.
class MigrateStorageTest : public OtpdFixture {
protected:
    static void SetUpTestSuite() {
        if (test::PostgresServer::available()) server_ = std::make_unique<test::PostgresServer>();
    }
    static void TearDownTestSuite() { server_.reset(); }
    void SetUp() override {
        if (!server_) GTEST_SKIP() << "the PostgreSQL server is not installed (scripts/install-deps.sh installs it)";
        OtpdFixture::SetUp();
    }
    // The recovery codes a first login prints ("  abcde-fghij").
    static std::vector<std::string> recovery_codes(const std::string& output) {
        std::vector<std::string> out;
        std::istringstream lines(output);
        for (std::string line; std::getline(lines, line);) {
            const auto code = line.substr(std::min(line.find_first_not_of(' '), line.size()));
            if (code.size() == 11 && code[5] == '-' && code.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567-") ==
                                                           std::string::npos)
                out.push_back(code);
        }
        return out;
    }
    static std::string in_thirty_days() {
        const std::time_t t = std::time(nullptr) + 30 * 86400;
        std::tm tm{};
        localtime_r(&t, &tm);
        char buf[16];
        std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
        return buf;
    }
    static std::unique_ptr<test::PostgresServer> server_;
};

std::unique_ptr<test::PostgresServer> MigrateStorageTest::server_;

TEST_F(MigrateStorageTest, EveryUserLogsInAgainstPostgresqlAfterTheMove) {
    // The SQLite state: TOTP and HOTP users, a suspended one, recovery codes, an exemption.
    const auto alice = enroll("alice");
    const auto used = totp(alice);
    const auto first = login("alice", {used});
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    const auto codes = recovery_codes(first.out);
    ASSERT_EQ(codes.size(), 10u) << first.out;
    const auto bob = enroll("bob", {"--type", "hotp"});
    ASSERT_EQ(login("bob", {totp(bob, {"--hotp", "--counter=0"})}).exit_code, 0);
    const auto carol = enroll("carol");
    ASSERT_EQ(login("carol", {totp(carol)}).exit_code, 0);
    ASSERT_EQ(admin({"suspend", "carol", "--reason", "left the project"}).exit_code, 0);
    ASSERT_EQ(admin({"exempt", "svc-backup", "--until", in_thirty_days()}).exit_code, 0);
    ASSERT_EQ(login("alice", {codes[0]}).exit_code, 0);  // one recovery code used before the move
    stop_otpd(SIGTERM);

    const auto url = server_->create_database("migrated");
    const auto moved = run({program(KOTP_ADMIN_PATH), "migrate-storage", "--from", state_dir + "/kotp.db", "--to", url,
                            "--password-file", server_->password_file()});
    ASSERT_EQ(moved.exit_code, 0) << moved.out << moved.err;
    EXPECT_THAT(moved.out, HasSubstr("users"));
    EXPECT_EQ(server_->psql("SELECT count(*) FROM users", "migrated"), "3\n");

    // The same node (same master.key) now on PostgreSQL.
    extra_config = "storage = " + url + "\nstorage_password_file = " + server_->password_file() + "\n";
    start_otpd();
    EXPECT_THAT(login("alice", {used}).out, HasSubstr("KS1004"));          // the replay guard came along
    EXPECT_THAT(login("alice", {codes[0]}).out, Not(HasSubstr("KS0000")));  // so did the used recovery code
    const auto alice_again = login("alice", {totp(alice, {"--totp", "--now", "now + 30 seconds"})});
    EXPECT_EQ(alice_again.exit_code, 0) << alice_again.out << alice_again.err;
    EXPECT_EQ(login("alice", {codes[1]}).exit_code, 0);  // an unused recovery code works
    const auto bob_again = login("bob", {totp(bob, {"--hotp", "--counter=1"})});
    EXPECT_EQ(bob_again.exit_code, 0) << bob_again.out << bob_again.err;
    const auto carol_again = login("carol", {totp(carol, {"--totp", "--now", "now + 30 seconds"})});
    EXPECT_NE(carol_again.exit_code, 0);
    EXPECT_THAT(carol_again.out, HasSubstr("KS1005"));  // still suspended
    EXPECT_EQ(login("svc-backup", {}).exit_code, 0);    // still exempt
    EXPECT_THAT(read_file(log_path), HasSubstr("shared database postgresql://kotp@127.0.0.1"));

    // A second move into the same database is refused and changes nothing.
    const auto users_before = server_->psql("SELECT count(*), max(id) FROM users", "migrated");
    const auto again = run({program(KOTP_ADMIN_PATH), "migrate-storage", "--from", state_dir + "/kotp.db", "--to", url,
                            "--password-file", server_->password_file()});
    EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
    EXPECT_EQ(server_->psql("SELECT count(*), max(id) FROM users", "migrated"), users_before);
}

}  // namespace
}  // namespace kotp::integration
