// Group commit. The requests that one turn of the io_context hands to the sessions run inside one
// store transaction (each in a nested one of its own), and their replies leave together after the
// group's single durable commit: one fsync for a storm of logins instead of one per login, and
// still no reply before its state change is on disk. A commit that fails turns every held reply
// into the fail-closed "service unavailable" one.
//
// Ordering: otpd has one thread, so the requests of a group run one after the other and one
// user's attempts stay serialised; a later request sees what an earlier one in the same group
// changed, exactly as if each had committed on its own.
//
// The group closes when the work queued before its commit has run: join() posts the commit
// behind every completion the reactor has already handed over, so a storm fills the group and a
// lone login commits at once.
//
// The disk wait happens on a thread of its own: the io thread writes a group and goes on with
// the next one while the syncer makes the written groups durable (Store::sync_committed); the
// replies of a group leave, on the io thread, only after a sync that began after the group was
// written has returned. Once they are handed over, the syncer runs Store::after_sync (the log's
// checkpoint) before its next sync.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store.hpp"

namespace kotp::otpd {

class CommitGroup {
public:
    using Reply = std::function<void(bool committed)>;

    CommitGroup(boost::asio::io_context& io, Store& store);
    ~CommitGroup();
    CommitGroup(const CommitGroup&) = delete;
    CommitGroup& operator=(const CommitGroup&) = delete;

    // Called when a commit fails, with the reason (otpd logs it once per outage).
    void on_failure(std::function<void(const std::string&)> fn) { on_failure_ = std::move(fn); }

    // Opens a group unless one is open, and schedules its commit. False when the store cannot
    // open one (it is failing): the caller then runs its request on its own, as without groups.
    bool join();

    // Holds a reply until the open group has committed (committed = true) or failed.
    void defer(Reply reply);

    // Runs fn outside any group: now when none is open, otherwise right after the open one is
    // written (a rekey batch, which must not share the fate of other requests, and whose WAL
    // checkpoint needs no open transaction).
    void outside(std::function<void()> fn);

    // Counters since start, for the log and the benchmarks.
    std::size_t groups() const { return groups_; }
    std::size_t largest() const { return largest_; }

private:
    struct Written {
        std::uint64_t seq = 0;
        std::vector<Reply> replies;
    };

    void commit();
    void release(std::uint64_t synced, bool ok, const std::string& error);
    void run_syncer();

    boost::asio::io_context& io_;
    Store& store_;
    std::function<void(const std::string&)> on_failure_;
    bool open_ = false;
    std::vector<Reply> held_;
    std::vector<std::function<void()>> after_;
    std::size_t groups_ = 0;
    std::size_t largest_ = 0;

    // io thread: groups written, waiting for a sync, oldest first; the work guard keeps the
    // io_context running while any wait.
    std::deque<Written> written_;
    std::uint64_t written_seq_ = 0;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> waiting_;

    // Shared with the syncer thread.
    std::mutex mutex_;
    std::condition_variable wake_;
    std::uint64_t to_sync_ = 0;  // the newest group written
    bool stop_ = false;
    std::thread syncer_;
};

}  // namespace kotp::otpd
