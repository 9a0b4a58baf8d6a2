// Constant-time comparison of codes and hashes.
#pragma once

#include <string_view>

namespace kotp {

// True if a and b are equal. The time taken depends only on the lengths, never on the contents
// (CRYPTO_memcmp), so a caller comparing a typed code learns nothing from timing.
bool ct_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace kotp
