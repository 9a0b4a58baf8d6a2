// Slow, salted hashes for the codes otpd must recognise but never keep: activation codes and
// recovery codes. scrypt (OpenSSL), so a stolen database does not hand out working codes cheaply.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "environment.hpp"

namespace kotp::otpd {

using CodeHash = std::array<std::uint8_t, 32>;
inline constexpr std::size_t kSaltSize = 16;

// nullopt only if OpenSSL fails (out of memory).
std::optional<CodeHash> hash_code(std::string_view code, std::span<const std::uint8_t> salt);

// Random codes from the OS CSPRNG. Empty string if the random source fails.
std::string random_digits(RandomSource& random, std::size_t count);
// 10 characters of a-z2-7 (50 bits), shown as "abcde-fghij".
std::string random_recovery_code(RandomSource& random);

// "ABCDE-fghij", "abcde fghij" -> "abcdefghij"; "" unless it is 10 characters of a-z2-7.
std::string normalize_recovery_code(std::string_view typed);

}  // namespace kotp::otpd
