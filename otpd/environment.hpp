// The clock and the random source, injected so tests control time and randomness without any
// test-only switch in shipped code.
#pragma once

#include <cstdint>
#include <span>

namespace kotp::otpd {

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::int64_t now() const = 0;  // Unix time, seconds
};

class SystemClock final : public Clock {
public:
    std::int64_t now() const override;
};

class RandomSource {
public:
    virtual ~RandomSource() = default;
    // Fills `out` with cryptographically secure bytes; returns false if the OS cannot.
    virtual bool fill(std::span<std::uint8_t> out) = 0;
};

class OsRandom final : public RandomSource {
public:
    bool fill(std::span<std::uint8_t> out) override;
};

}  // namespace kotp::otpd
