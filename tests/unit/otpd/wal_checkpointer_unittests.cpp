// The write-ahead log's checkpoints run off the committing thread, and the log stays bounded.
#include "wal_checkpointer.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <functional>
#include <string>
#include <thread>

#include "fixture.hpp"

namespace kotp::otpd::testing {
namespace {

class WalCheckpointerTest : public ::testing::Test {
protected:
    void SetUp() override {
        path = std::filesystem::path(dir.path()) / "test.db";
        ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=NORMAL");
        exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    }
    void TearDown() override { sqlite3_close(db); }
    void exec(const char* sql) { ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sql; }
    // One transaction of `pages` new pages (a 3,000-byte row fills most of a 4 KiB page).
    void write(int pages) {
        exec("BEGIN");
        for (int i = 0; i < pages; ++i) exec("INSERT INTO t (v) VALUES (randomblob(3000))");
        exec("COMMIT");
    }
    std::uintmax_t log_size() const {
        std::error_code ec;
        const auto size = std::filesystem::file_size(path.string() + "-wal", ec);
        return ec ? 0 : size;
    }
    static constexpr std::uintmax_t kFrame = 24 + 4096;

    TempDir dir;
    std::filesystem::path path;
    sqlite3* db = nullptr;
};

TEST_F(WalCheckpointerTest, DueLogsAreCheckpointedOnAnotherThread) {
    WalCheckpointer checkpointer(path.string(), 20, 1000);
    checkpointer.attach(db);
    for (int round = 0; round < 30; ++round) {
        write(8);
        std::thread syncer([&] { checkpointer.run_if_due(); });  // as the syncer does after a sync
        syncer.join();
    }
    EXPECT_GT(checkpointer.background_runs(), 5U);
    EXPECT_EQ(checkpointer.foreground_runs(), 0U);
    // 240 pages were written; the log restarts once a checkpoint has copied it all, so it never
    // holds much more than the due threshold plus one transaction.
    EXPECT_LE(log_size(), (20 + 8 + 4) * kFrame);
    sqlite3_stmt* count = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &count, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(count), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(count, 0), 240);
    sqlite3_finalize(count);
}

TEST_F(WalCheckpointerTest, WithoutBackgroundRunsTheCommitterCheckpointsPastTheLimit) {
    WalCheckpointer checkpointer(path.string(), 20, 60);
    checkpointer.attach(db);
    for (int round = 0; round < 40; ++round) write(8);  // nobody calls run_if_due
    EXPECT_EQ(checkpointer.background_runs(), 0U);
    EXPECT_GT(checkpointer.foreground_runs(), 0U);
    EXPECT_LE(log_size(), (60 + 8 + 4) * kFrame);
}

// What otpd's log (stderr) gets while fn runs.
std::string stderr_of(const std::function<void()>& fn, const std::string& file) {
    const int saved = ::dup(STDERR_FILENO);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, STDERR_FILENO);
    fn();
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    ::close(fd);
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A checkpointer that cannot open the database says so once, keeps the committer's safety net,
// and never fails a commit.
TEST_F(WalCheckpointerTest, ACheckpointThatCannotRunIsLoggedOnce) {
    WalCheckpointer checkpointer((std::filesystem::path(dir.path()) / "gone.db").string(), 20, 60);
    checkpointer.attach(db);
    const auto log = stderr_of(
        [&] {
            for (int round = 0; round < 40; ++round) {
                write(8);
                checkpointer.run_if_due();
            }
        },
        (std::filesystem::path(dir.path()) / "stderr.txt").string());
    EXPECT_EQ(checkpointer.background_runs(), 0U);
    EXPECT_GT(checkpointer.foreground_runs(), 0U);
    EXPECT_LE(log_size(), (60 + 8 + 4) * kFrame);
    EXPECT_NE(log.find("KS1010 cannot checkpoint the write-ahead log of"), std::string::npos) << log;
    EXPECT_EQ(log.find("KS1010", log.find("KS1010") + 1), std::string::npos) << "logged more than once:\n" << log;
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir.path()) / "gone.db"))
        << "the checkpointer created a database that was not there";
}

TEST_F(WalCheckpointerTest, NothingRunsBeforeTheLogIsDue) {
    WalCheckpointer checkpointer(path.string(), 1000, 20000);
    checkpointer.attach(db);
    write(8);
    checkpointer.run_if_due();
    EXPECT_EQ(checkpointer.background_runs(), 0U);
}

}  // namespace
}  // namespace kotp::otpd::testing
