// Rate limits besides the lockout. The lockout protects one user from guesses; these protect
// many users and otpd itself:
//   - failed codes per source host (PAM_RHOST): one address that guesses for many users is
//     refused, without its codes being checked or counted, before it can suspend many of them;
//   - requests per uid on the socket: one unprivileged user (the `kotp` command, a screen locker,
//     an attacker with a shell) cannot keep otpd's single thread and its database busy.
// Both are token buckets: `limit` events at once, refilled at `limit` per `window`. Root and
// otpd's own user are never limited by uid: sshd, login and su call as root, and their
// concurrency is the login storm itself (the caller decides that, see RequestHandler).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "config.hpp"

namespace kotp::otpd {

using SteadyTime = std::chrono::steady_clock::time_point;

// `limit` tokens, refilled continuously at `limit` per `window`.
class TokenBucket {
public:
    TokenBucket(double limit, std::chrono::duration<double> window, SteadyTime now)
        : limit_(limit), per_second_(limit / window.count()), tokens_(limit), updated_(now) {}

    bool try_take(SteadyTime now);  // takes one token if there is one
    void take(SteadyTime now);      // takes one token, never below zero (an event that happened)
    bool full(SteadyTime now);
    // Whole seconds (at least 1) until a token is there again.
    std::int64_t seconds_until_token(SteadyTime now);

private:
    void refill(SteadyTime now);

    double limit_;
    double per_second_;
    double tokens_;
    SteadyTime updated_;
};

// What a limit says about one more event.
struct Throttle {
    bool refused = false;
    std::int64_t retry_after = 0;  // seconds, when refused
    // Refusals are logged once per window per key, not once per attempt, so a flood cannot
    // flood the log: log_now says this refusal is the one to log, `refused_count` how many
    // refusals it stands for (this one and those not logged since the last line).
    bool log_now = false;
    std::uint64_t refused_count = 0;
};

// Token buckets by key. At most `max_keys` are kept: a bucket that has refilled holds no state
// and is forgotten first; when every slot holds a live bucket, new keys share one overflow
// bucket, so a flood of distinct keys cannot grow memory.
class KeyedLimiter {
public:
    // `limit` events per `window`; refusals logged at most once per `log_every` per key.
    KeyedLimiter(unsigned limit, std::chrono::duration<double> window, std::chrono::seconds log_every,
                 std::size_t max_keys)
        : limit_(limit), window_(window), log_every_(log_every), max_keys_(max_keys) {}

    bool enabled() const { return limit_ > 0; }
    // Would one more event under `key` be refused? Takes nothing.
    Throttle check(std::string_view key, SteadyTime now);
    // Counts one event (a failed code) under `key`.
    void record(std::string_view key, SteadyTime now);
    // Counts one event (a request) and says whether it may go on.
    Throttle take(std::string_view key, SteadyTime now);
    std::size_t keys() const { return buckets_.size(); }

    static constexpr const char* kOverflowKey = "\x01overflow";

private:
    struct Entry {
        TokenBucket bucket;
        SteadyTime last_logged{};
        bool logged = false;
        std::uint64_t refused_since_log = 0;
    };
    Entry& entry(std::string_view key, SteadyTime now);
    Throttle refusal(Entry& e, SteadyTime now);

    unsigned limit_;
    std::chrono::duration<double> window_;
    std::chrono::seconds log_every_;
    std::size_t max_keys_;
    std::map<std::string, Entry, std::less<>> buckets_;
};

// The two limits of otpd, configured from otpd.conf.
class RateLimits {
public:
    explicit RateLimits(const Config& config);

    // Before a code from `rhost` is looked at.
    Throttle host_check(std::string_view rhost, SteadyTime now);
    // A failure was counted against a user for a code from `rhost`.
    void host_failure(std::string_view rhost, SteadyTime now);
    // One request from an unprivileged `uid`.
    Throttle uid_request(uid_t uid, SteadyTime now);

    std::chrono::seconds host_window() const { return host_window_; }
    unsigned host_limit() const { return host_limit_; }

    // Distinct hosts and uids remembered at once (memory bound: each key is at most
    // wire::kMaxRhost bytes).
    static constexpr std::size_t kMaxHosts = 4096;
    static constexpr std::size_t kMaxUids = 4096;

private:
    unsigned host_limit_;
    std::chrono::seconds host_window_;
    KeyedLimiter hosts_;
    KeyedLimiter uids_;
};

// How a source host is named in logs: the empty PAM_RHOST of a local login is "(local)".
std::string host_label(std::string_view rhost);

}  // namespace kotp::otpd
