#include "latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace kotp::bench {

// Values below 2^(kSubBits+1) have a bucket each; above, bucket = (exponent, top kSubBits+1 bits).
std::size_t LatencyHistogram::bucket_of(std::uint64_t v) {
    const auto width = static_cast<unsigned>(std::bit_width(v));
    if (width <= kSubBits + 1) return static_cast<std::size_t>(v);
    const unsigned shift = width - (kSubBits + 1);
    const std::uint64_t top = v >> shift;  // in [2^kSubBits, 2^(kSubBits+1))
    return (static_cast<std::size_t>(shift) << kSubBits) + static_cast<std::size_t>(top);
}

std::uint64_t LatencyHistogram::upper_bound_of(std::size_t bucket) {
    if (bucket < (std::size_t{2} << kSubBits)) return bucket;
    const std::size_t shift = (bucket >> kSubBits) - 1;
    const std::uint64_t top = (bucket & ((std::size_t{1} << kSubBits) - 1)) | (std::size_t{1} << kSubBits);
    return ((top + 1) << shift) - 1;
}

void LatencyHistogram::record(std::uint64_t nanoseconds) {
    ++buckets_[std::min(bucket_of(nanoseconds), kBuckets - 1)];
    ++count_;
    sum_ += nanoseconds;
    max_ = std::max(max_, nanoseconds);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
}

std::uint64_t LatencyHistogram::quantile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += buckets_[i];
        if (seen >= rank) return std::min(upper_bound_of(i), max_);
    }
    return max_;
}

}  // namespace kotp::bench
