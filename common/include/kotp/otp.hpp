// HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA1, SHA-256 and SHA-512.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kotp/wire.hpp"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace kotp::otp {

// Digits a code may have.
inline constexpr int kMinDigits = 6;
inline constexpr int kMaxDigits = 8;

// One key made ready for many codes: a verification tries several counters (a window, a
// look-ahead) with the same key, and this keys HMAC once for all of them. OpenSSL's HMAC is
// fetched once per process; each code then costs one re-initialisation from the padded key
// OpenSSL keeps, not a fetch of the MAC and the digest and a key schedule (EVP_Q_mac).
class Hotp {
public:
    // digits must be 6, 7 or 8 and the algorithm one of wire::Algorithm; otherwise, or if OpenSSL
    // fails, every code() is empty. The key is copied into OpenSSL's context, which wipes it when
    // this is destroyed.
    Hotp(std::span<const std::uint8_t> key, wire::Algorithm algorithm, int digits) noexcept;
    ~Hotp();
    Hotp(const Hotp&) = delete;
    Hotp& operator=(const Hotp&) = delete;

    // The code of `counter` as text, zero-padded to `digits` characters; empty on any failure
    // (an empty code never compares equal to user input).
    std::string code(std::uint64_t counter) noexcept;

private:
    ::evp_mac_ctx_st* ctx_ = nullptr;
    int digits_ = 0;
};

// Hotp(key, algorithm, digits).code(counter): one code.
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
