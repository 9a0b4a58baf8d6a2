// The token buckets of the rate limits, on a clock the test moves.
#include <gtest/gtest.h>

#include "rate_limit.hpp"

namespace kotp::otpd {
namespace {

using namespace std::chrono_literals;

const SteadyTime kStart{std::chrono::hours(1)};

TEST(TokenBucket, TakesTheLimitThenOneAtTheRefillRate) {
    TokenBucket bucket(20, 60s, kStart);
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(bucket.try_take(kStart)) << i;
    EXPECT_FALSE(bucket.try_take(kStart));
    EXPECT_EQ(bucket.seconds_until_token(kStart), 3);
    EXPECT_FALSE(bucket.try_take(kStart + 2900ms));
    EXPECT_TRUE(bucket.try_take(kStart + 3s));
    EXPECT_FALSE(bucket.full(kStart + 3s));
    EXPECT_TRUE(bucket.full(kStart + 63s));
}

TEST(KeyedLimiter, CheckTakesNothingAndRecordCountsFailures) {
    KeyedLimiter hosts(3, 60s, 60s, 16);
    EXPECT_FALSE(hosts.check("a", kStart).refused);
    EXPECT_EQ(hosts.keys(), 0u) << "a check of an unknown host stores nothing";
    for (int i = 0; i < 3; ++i) hosts.record("a", kStart);
    const auto first = hosts.check("a", kStart);
    EXPECT_TRUE(first.refused);
    EXPECT_TRUE(first.log_now);
    EXPECT_EQ(first.retry_after, 20);
    EXPECT_FALSE(hosts.check("b", kStart).refused) << "other hosts are not affected";
    // Logged once per window, with the count of the refusals in between.
    EXPECT_FALSE(hosts.check("a", kStart + 1s).log_now);
    EXPECT_FALSE(hosts.check("a", kStart + 2s).log_now);
    hosts.record("a", kStart + 59s);
    hosts.record("a", kStart + 59s);
    hosts.record("a", kStart + 59s);
    const auto next = hosts.check("a", kStart + 60s);
    EXPECT_TRUE(next.refused);
    EXPECT_TRUE(next.log_now);
    EXPECT_EQ(next.refused_count, 3u);
}

TEST(KeyedLimiter, DistinctKeysCannotGrowMemory) {
    KeyedLimiter uids(2, 1s, 60s, 8);
    for (int i = 0; i < 1000; ++i) uids.take(std::to_string(i), kStart);
    EXPECT_LE(uids.keys(), 9u);  // the table and the shared overflow bucket
    // Once refilled, buckets are forgotten and new keys get their own again.
    EXPECT_FALSE(uids.take("new", kStart + 10s).refused);
    EXPECT_LE(uids.keys(), 9u);
}

TEST(KeyedLimiter, ZeroTurnsTheLimitOff) {
    KeyedLimiter off(0, 60s, 60s, 8);
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(off.take("a", kStart).refused);
    EXPECT_EQ(off.keys(), 0u);
}

}  // namespace
}  // namespace kotp::otpd
