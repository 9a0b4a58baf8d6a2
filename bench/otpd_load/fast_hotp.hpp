// HOTP codes (HMAC-SHA1, 6 digits) for the load generator's hot loop.
//
// The load generator computes ~4 codes per verification (the window it must avoid for a wrong
// code, the look-ahead that decides a replay), on the two cores it shares with otpd. Like
// otp::Hotp, this re-initialises HMAC per counter from the padded key OpenSSL keeps; unlike it,
// one context per thread is re-keyed for each user without a new allocation, and codes stay
// numbers. check_against_common() compares it with otp::hotp, the code otpd itself uses, before
// any load is sent, so the model does not simply share otpd's code.
#pragma once

#include <cstdint>
#include <span>
#include <string>

struct evp_mac_st;
struct evp_mac_ctx_st;

namespace kotp::bench {

inline constexpr std::uint32_t kCodeModulus = 1'000'000;  // 6 digits
inline constexpr int kCodeDigits = 6;

class FastHotp {
public:
    FastHotp();  // throws std::runtime_error when OpenSSL has no HMAC-SHA1
    ~FastHotp();
    FastHotp(const FastHotp&) = delete;
    FastHotp& operator=(const FastHotp&) = delete;

    void set_key(std::span<const std::uint8_t> key);
    // The 6-digit code of `counter` under the current key, as a number (throws on an HMAC error).
    std::uint32_t code(std::uint64_t counter);

private:
    evp_mac_st* mac_ = nullptr;
    evp_mac_ctx_st* ctx_ = nullptr;
};

// "012345": the code as a user types it.
std::string code_text(std::uint32_t code);

// `samples` random keys and counters through FastHotp and otp::hotp; false, with what differed
// in `error`, if any code is not the same.
bool check_against_common(FastHotp& hotp, int samples, std::string& error);

}  // namespace kotp::bench
