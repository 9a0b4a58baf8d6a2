#include "commit_group.hpp"

#include <boost/asio/post.hpp>

#include "log.hpp"

namespace kotp::otpd {

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
    bool committed = true;
    try {
        store_.commit_group();
    } catch (const std::exception& e) {
        committed = false;
        if (on_failure_) on_failure_(e.what());
    }
    open_ = false;
    ++groups_;
    if (held_.size() > largest_) largest_ = held_.size();
    auto replies = std::move(held_);
    held_.clear();
    for (auto& reply : replies) {
        try {
            reply(committed);
        } catch (const std::exception& e) {
            log_line(LogLevel::Error, std::string("KS1010 cannot send a reply: ") + e.what());
        }
    }
    auto after = std::move(after_);
    after_.clear();
    for (auto& fn : after) fn();
}

}  // namespace kotp::otpd
