#include "rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace kotp::otpd {
namespace {

// Refills are sums of fractions: 3 s at 20 per minute must make a whole token, not 0.99999.
constexpr double kEpsilon = 1e-9;

}  // namespace

void TokenBucket::refill(SteadyTime now) {
    if (now <= updated_) return;
    const std::chrono::duration<double> elapsed = now - updated_;
    tokens_ = std::min(limit_, tokens_ + elapsed.count() * per_second_);
    updated_ = now;
}

bool TokenBucket::try_take(SteadyTime now) {
    refill(now);
    if (tokens_ + kEpsilon < 1.0) return false;
    tokens_ = std::max(0.0, tokens_ - 1.0);
    return true;
}

void TokenBucket::take(SteadyTime now) {
    refill(now);
    tokens_ = std::max(0.0, tokens_ - 1.0);
}

bool TokenBucket::full(SteadyTime now) {
    refill(now);
    return tokens_ + kEpsilon >= limit_;
}

std::int64_t TokenBucket::seconds_until_token(SteadyTime now) {
    refill(now);
    if (tokens_ + kEpsilon >= 1.0) return 0;
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((1.0 - tokens_) / per_second_)));
}

KeyedLimiter::Entry& KeyedLimiter::entry(std::string_view key, SteadyTime now) {
    if (auto it = buckets_.find(key); it != buckets_.end()) return it->second;
    if (buckets_.size() >= max_keys_) {
        // Forget the buckets that have refilled: they hold no state. Runs only when the table is
        // full, so a normal day never pays for the scan.
        for (auto it = buckets_.begin(); it != buckets_.end();) {
            if (it->first != kOverflowKey && it->second.bucket.full(now))
                it = buckets_.erase(it);
            else
                ++it;
        }
    }
    const std::string_view slot = buckets_.size() >= max_keys_ ? std::string_view(kOverflowKey) : key;
    if (auto it = buckets_.find(slot); it != buckets_.end()) return it->second;
    return buckets_.emplace(std::string(slot), Entry{TokenBucket(limit_, window_, now)}).first->second;
}

Throttle KeyedLimiter::refusal(Entry& e, SteadyTime now) {
    Throttle t;
    t.refused = true;
    t.retry_after = e.bucket.seconds_until_token(now);
    ++e.refused_since_log;
    if (!e.logged || now - e.last_logged >= log_every_) {
        t.log_now = true;
        t.refused_count = e.refused_since_log;
        e.refused_since_log = 0;
        e.last_logged = now;
        e.logged = true;
    }
    return t;
}

Throttle KeyedLimiter::check(std::string_view key, SteadyTime now) {
    if (!enabled()) return {};
    const auto it = buckets_.find(key);
    // A host never seen has a full bucket; when the table overflowed, it shares the overflow's.
    Entry* e = it != buckets_.end() ? &it->second : nullptr;
    if (e == nullptr && buckets_.size() >= max_keys_) {
        const auto overflow = buckets_.find(kOverflowKey);
        if (overflow != buckets_.end()) e = &overflow->second;
    }
    if (e == nullptr || e->bucket.seconds_until_token(now) == 0) return {};
    return refusal(*e, now);
}

void KeyedLimiter::record(std::string_view key, SteadyTime now) {
    if (enabled()) entry(key, now).bucket.take(now);
}

Throttle KeyedLimiter::take(std::string_view key, SteadyTime now) {
    if (!enabled()) return {};
    auto& e = entry(key, now);
    if (e.bucket.try_take(now)) return {};
    return refusal(e, now);
}

RateLimits::RateLimits(const Config& config)
    : host_limit_(config.host_failure_limit),
      host_window_(config.host_failure_window),
      hosts_(config.host_failure_limit, config.host_failure_window, config.host_failure_window, kMaxHosts),
      // uid_request_rate per second in bursts of uid_request_burst: a bucket of `burst` tokens
      // refilled in burst / rate seconds. A throttled uid is logged once a minute.
      uids_(config.uid_request_rate == 0 ? 0 : config.uid_request_burst,
            std::chrono::duration<double>(config.uid_request_rate == 0
                                              ? 1.0
                                              : static_cast<double>(config.uid_request_burst) / config.uid_request_rate),
            std::chrono::minutes(1), kMaxUids) {}

Throttle RateLimits::host_check(std::string_view rhost, SteadyTime now) {
    return hosts_.check(rhost, now);
}

void RateLimits::host_failure(std::string_view rhost, SteadyTime now) { hosts_.record(rhost, now); }

Throttle RateLimits::uid_request(uid_t uid, SteadyTime now) { return uids_.take(std::to_string(uid), now); }

std::string host_label(std::string_view rhost) { return rhost.empty() ? "(local)" : std::string(rhost); }

}  // namespace kotp::otpd
