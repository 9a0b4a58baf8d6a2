#include "kotp/ct_compare.hpp"

#include <openssl/crypto.h>

namespace kotp {

bool ct_equal(std::string_view a, std::string_view b) noexcept {
    // Lengths are not secret (a code has a known number of digits), so an early return on a
    // length mismatch leaks nothing an attacker does not already know.
    if (a.size() != b.size()) return false;
    // CRYPTO_memcmp with a zero length is fine, but empty views may carry null pointers.
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace kotp
