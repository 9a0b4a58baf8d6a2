// HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1, SHA-256 and SHA-512.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kotp/wire.hpp"

namespace kotp::otp {

// Digits a code may have.
inline constexpr int kMinDigits = 6;
inline constexpr int kMaxDigits = 8;

// A code as text, zero-padded to `digits` characters. digits must be 6, 7 or 8; with any other
// value, or if HMAC fails, returns an empty string (which never compares equal to user input).
std::string hotp(std::span<const std::uint8_t> key, std::uint64_t counter, wire::Algorithm algorithm,
                 int digits);

// The RFC 6238 time step T = floor((unix_time - t0) / period). period must be > 0.
// Times before t0 give step 0.
std::uint64_t totp_step(std::int64_t unix_time, std::uint32_t period, std::int64_t t0 = 0);

// hotp(key, totp_step(unix_time, period), ...).
std::string totp(std::span<const std::uint8_t> key, std::int64_t unix_time, std::uint32_t period,
                 wire::Algorithm algorithm, int digits);

const char* algorithm_name(wire::Algorithm algorithm) noexcept;  // "SHA1", "SHA256", "SHA512"

}  // namespace kotp::otp
