// A small fast generator (splitmix64) for the visiting order and the mix. Not for secrets:
// those come from OpenSSL's RAND_bytes.
#pragma once

#include <cstdint>

namespace kotp::bench {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // In [0, bound), bound > 0 (multiply-shift: each value's probability is within 2^-32 of
    // 1/bound).
    std::uint32_t below(std::uint32_t bound) {
        return static_cast<std::uint32_t>(((next() >> 32) * bound) >> 32);
    }

private:
    std::uint64_t state_;
};

}  // namespace kotp::bench
