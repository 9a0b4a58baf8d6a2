// Hex text for key bytes: how kotp-admin import carries a secret to otpd (wire strings carry no
// NUL), and one of the secret encodings of the import files.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kotp {

// Lower-case hex, two digits per byte.
std::string hex_encode(std::span<const std::uint8_t> bytes);

// Hex digits in pairs, either case; with skip_blanks, spaces and tabs between them are ignored.
// nullopt for anything else. The result is reserved exactly, so no reallocation leaves a copy.
std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text, bool skip_blanks = false);

}  // namespace kotp
