// Group commit: many logins in one durable transaction, each answer held until it commits.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "commit_group.hpp"
#include "fixture.hpp"

namespace kotp::otpd::testing {
namespace {

class CommitGroupTest : public OtpdCore {
protected:
    // What another connection to the file sees: only what was committed.
    unsigned failures_on_disk(const std::string& name) {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open_v2((dir.path() + "/kotp.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db, "SELECT failures FROM users WHERE name = ?1", -1, &s, nullptr);
        sqlite3_bind_text(s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
        unsigned n = 999;
        if (sqlite3_step(s) == SQLITE_ROW) n = static_cast<unsigned>(sqlite3_column_int(s, 0));
        sqlite3_finalize(s);
        sqlite3_close(db);
        return n;
    }
};

TEST_F(CommitGroupTest, NothingIsDurableUntilTheGroupCommits) {
    enroll("alice");
    enroll("bob");
    store->begin_group();
    EXPECT_EQ(verify("alice", "000000").status, wire::Status::WrongCode);
    EXPECT_EQ(verify("bob", "000000").status, wire::Status::WrongCode);
    // Inside the group a later request sees what an earlier one changed.
    EXPECT_EQ(user("alice")->failures, 1u);
    EXPECT_EQ(failures_on_disk("alice"), 0u);
    store->commit_group();
    EXPECT_EQ(failures_on_disk("alice"), 1u);
    EXPECT_EQ(failures_on_disk("bob"), 1u);
}

TEST_F(CommitGroupTest, OneUsersAttemptsStaySerialisedInsideAGroup) {
    const auto e = enroll("alice");
    verify("alice", code_at(e, clock.now()));  // activates the pending token
    clock.advance(30);
    const auto code = code_at(e, clock.now());
    store->begin_group();
    EXPECT_EQ(verify("alice", code).outcome, wire::Outcome::Success);
    EXPECT_EQ(verify("alice", code).status, wire::Status::CodeAlreadyUsed);  // the same code, same group
    store->commit_group();
}

TEST_F(CommitGroupTest, ARolledBackTransactionLeavesTheRestOfTheGroup) {
    enroll("alice");
    store->begin_group();
    verify("alice", "000000");
    {
        Transaction txn(*store);
        auto u = store->find_user("alice");
        u->failures = 4;
        store->update_user(*u);
    }  // left without commit: undone
    EXPECT_EQ(user("alice")->failures, 1u);
    store->commit_group();
    EXPECT_EQ(failures_on_disk("alice"), 1u);
}

TEST_F(CommitGroupTest, RepliesWaitForTheCommitAndRekeyWorkRunsOutsideTheGroup) {
    enroll("alice");
    boost::asio::io_context io;
    CommitGroup group(io, *store);
    std::vector<std::string> events;
    ASSERT_TRUE(group.join());
    verify("alice", "000000");
    group.defer([&](bool committed) {
        events.push_back(std::string("reply committed=") + (committed ? "yes" : "no") +
                         " on disk=" + std::to_string(failures_on_disk("alice")));
    });
    ASSERT_TRUE(group.join());  // the same group
    group.outside([&] { events.push_back(std::string("outside in_group=") + (store->in_group() ? "yes" : "no")); });
    EXPECT_TRUE(events.empty());
    io.run();
    // The rekey batch runs as soon as the group is written; the reply waits for the sync too.
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0], "outside in_group=no");
    EXPECT_EQ(events[1], "reply committed=yes on disk=1");
    EXPECT_EQ(group.groups(), 1u);
    EXPECT_EQ(group.largest(), 1u);
}

TEST_F(CommitGroupTest, AFailedCommitFailsEveryHeldReply) {
    enroll("alice");
    boost::asio::io_context io;
    CommitGroup group(io, *store);
    std::string failure;
    group.on_failure([&](const std::string& what) { failure = what; });
    ASSERT_TRUE(group.join());
    verify("alice", "000000");
    // A transaction the group cannot close: commit_group refuses rather than commit half.
    store->begin();
    int failed = 0;
    for (int i = 0; i < 3; ++i) group.defer([&](bool committed) { failed += committed ? 0 : 1; });
    io.run();
    EXPECT_EQ(failed, 3);
    EXPECT_FALSE(failure.empty());
    EXPECT_EQ(failures_on_disk("alice"), 0u);
    EXPECT_FALSE(store->in_group());
    EXPECT_EQ(verify("alice", "000000").status, wire::Status::WrongCode);  // the store works on
    EXPECT_EQ(failures_on_disk("alice"), 1u);
}

TEST_F(CommitGroupTest, CheckpointIsRefusedInsideAGroup) {
    store->begin_group();
    EXPECT_THROW(store->checkpoint(), StoreError);
    store->commit_group();
    EXPECT_NO_THROW(store->checkpoint());
}

// What follows a sync (the log's checkpoint) never holds that sync's replies: run before them, a
// checkpoint at a million users held every reply of the group for milliseconds.
class CheckpointAfterTheReplies : public SqliteStore {
public:
    using SqliteStore::SqliteStore;
    void after_sync() noexcept override {
        std::unique_lock lock(mutex);
        ++calls;
        // Waits for the reply, as a long checkpoint would; long enough for any slow machine.
        if (cv.wait_for(lock, std::chrono::seconds(20), [&] { return replied; })) ++calls_after_reply;
    }
    void reply() {
        {
            std::lock_guard lock(mutex);
            replied = true;
        }
        cv.notify_all();
    }
    std::mutex mutex;
    std::condition_variable cv;
    bool replied = false;
    int calls = 0;
    int calls_after_reply = 0;
};

TEST_F(CommitGroupTest, TheRepliesOfASyncLeaveBeforeWhatFollowsIt) {
    CheckpointAfterTheReplies slow(dir.path() + "/other.db");
    boost::asio::io_context io;
    std::optional<bool> outcome;
    {
        CommitGroup group(io, slow);
        ASSERT_TRUE(group.join());
        {
            Transaction txn(slow);
            UserRecord u;
            u.name = "alice";
            u.created = clock.now();
            slow.insert_user(u);
            txn.commit();
        }
        group.defer([&](bool committed) {
            outcome = committed;
            slow.reply();
        });
        io.run();  // returns once the reply has left
    }  // the syncer thread is joined here
    ASSERT_TRUE(outcome.has_value());
    EXPECT_TRUE(*outcome);
    std::lock_guard lock(slow.mutex);
    EXPECT_GE(slow.calls, 1);
    EXPECT_EQ(slow.calls_after_reply, slow.calls) << "after_sync ran before the sync's replies were released";
}

}  // namespace
}  // namespace kotp::otpd::testing
