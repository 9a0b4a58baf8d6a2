#include "commit_group.hpp"

#include <boost/asio/post.hpp>

#include "log.hpp"

namespace kotp::otpd {

CommitGroup::CommitGroup(boost::asio::io_context& io, Store& store)
    : io_(io), store_(store), syncer_([this] { run_syncer(); }) {}

CommitGroup::~CommitGroup() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    syncer_.join();
}

bool CommitGroup::join() {
    if (open_) return true;
    try {
        store_.begin_group();
    } catch (const std::exception&) {
        return false;  // the request's own transaction meets the same failure and reports it
    }
    open_ = true;
    boost::asio::post(io_, [this] { commit(); });
    return true;
}

void CommitGroup::defer(Reply reply) { held_.push_back(std::move(reply)); }

void CommitGroup::outside(std::function<void()> fn) {
    if (open_)
        after_.push_back(std::move(fn));
    else
        fn();
}

void CommitGroup::commit() {
    bool written = true;
    bool changed = true;
    try {
        changed = store_.commit_group();
    } catch (const std::exception& e) {
        written = false;
        if (on_failure_) on_failure_(e.what());
    }
    open_ = false;
    ++groups_;
    if (held_.size() > largest_) largest_ = held_.size();
    auto replies = std::move(held_);
    held_.clear();
    if (!written) {
        for (auto& reply : replies) reply(false);
    } else if (!changed && written_.empty()) {
        // Nothing written now and nothing waiting for the disk: no sync to wait for (a BEGIN
        // that only prompts, one login at a time).
        for (auto& reply : replies) reply(true);
    } else if (!changed) {
        // Behind the groups still waiting: their replies first, then these, with no new sync.
        auto& last = written_.back().replies;
        for (auto& reply : replies) last.push_back(std::move(reply));
    } else if (!replies.empty()) {
        written_.push_back(Written{++written_seq_, std::move(replies)});
        if (!waiting_) waiting_.emplace(io_.get_executor());
        {
            std::lock_guard lock(mutex_);
            to_sync_ = written_seq_;
        }
        wake_.notify_one();
    }
    auto after = std::move(after_);
    after_.clear();
    for (auto& fn : after) fn();
}

// io thread: the replies of every group up to `synced` leave, or fail closed.
void CommitGroup::release(std::uint64_t synced, bool ok, const std::string& error) {
    if (!ok) {
        store_.sync_failed();
        if (on_failure_) on_failure_(error);
    }
    while (!written_.empty() && written_.front().seq <= synced) {
        auto group = std::move(written_.front());
        written_.pop_front();
        for (auto& reply : group.replies) {
            try {
                reply(ok);
            } catch (const std::exception& e) {
                log_line(LogLevel::Error, std::string("KS1010 cannot send a reply: ") + e.what());
            }
        }
    }
    if (written_.empty()) waiting_.reset();
}

void CommitGroup::run_syncer() {
    std::uint64_t synced = 0;
    for (;;) {
        std::uint64_t target = 0;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || to_sync_ > synced; });
            if (stop_) return;
            target = to_sync_;
        }
        // Every group up to `target` was written before this sync began.
        std::string error;
        const bool ok = store_.sync_committed(error);
        synced = target;
        boost::asio::post(io_, [this, target, ok, error = std::move(error)] { release(target, ok, error); });
        // The replies are on their way; what follows a sync (SQLite: the log's checkpoint) holds
        // none of them, and the next sync, which waits for it, covers a larger group.
        if (ok) store_.after_sync();
    }
}

}  // namespace kotp::otpd
