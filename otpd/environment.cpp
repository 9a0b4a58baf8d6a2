#include "environment.hpp"

#include <openssl/rand.h>

#include <ctime>

namespace kotp::otpd {

std::int64_t SystemClock::now() const { return static_cast<std::int64_t>(std::time(nullptr)); }

bool OsRandom::fill(std::span<std::uint8_t> out) {
    // RAND_priv_bytes: OpenSSL's DRBG for private values, seeded from getrandom().
    return out.empty() || RAND_priv_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

}  // namespace kotp::otpd
