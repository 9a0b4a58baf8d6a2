// Latencies in nanoseconds, kept in log-linear buckets (128 per power of two: under 0.8%
// error) so that a long run needs no memory per sample; the maximum is kept exactly.
#pragma once

#include <array>
#include <cstdint>

namespace kotp::bench {

class LatencyHistogram {
public:
    void record(std::uint64_t nanoseconds);
    void merge(const LatencyHistogram& other);

    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }
    double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_); }
    // The smallest recorded value v (to bucket precision) such that a fraction `q` of the samples
    // are <= v; 0 when empty.
    std::uint64_t quantile(double q) const;

private:
    static constexpr unsigned kSubBits = 7;  // 128 buckets per power of two
    static constexpr std::size_t kBuckets = (64 - kSubBits + 1) << kSubBits;
    static std::size_t bucket_of(std::uint64_t v);
    static std::uint64_t upper_bound_of(std::size_t bucket);

    std::array<std::uint64_t, kBuckets> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace kotp::bench
