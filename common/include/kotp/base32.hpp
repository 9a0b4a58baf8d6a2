// RFC 4648 Base32: the "key string" users type into authenticator apps.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kotp {

// Upper-case alphabet A-Z2-7, without '=' padding.
std::string base32_encode(std::span<const std::uint8_t> data);

// Case-insensitive; spaces, tabs, hyphens and '=' padding are ignored anywhere. Returns nullopt on
// any other character, or when the length (after removing ignored characters) is not a length that
// an encoder can produce (mod 8 in {0, 2, 4, 5, 7}).
std::optional<std::vector<std::uint8_t>> base32_decode(std::string_view text);

}  // namespace kotp
