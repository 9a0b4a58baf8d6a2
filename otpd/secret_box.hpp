// Seals token secrets with AES-256-GCM under the current master key.
// Blob layout: u32 key id (big-endian) | 12-byte random nonce | ciphertext | 16-byte tag.
// The associated data binds a blob to its owner, so a row copied onto another user won't open.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "environment.hpp"
#include "master_key.hpp"

namespace kotp::otpd {

class SecretBox {
public:
    SecretBox(const MasterKeys& keys, RandomSource& random) : keys_(keys), random_(random) {}

    // nullopt if random bytes or the cipher fail.
    std::optional<std::vector<std::uint8_t>> seal(std::span<const std::uint8_t> secret,
                                                  std::string_view associated_data) const;

    // nullopt if the key id is unknown, the blob is malformed or the tag does not verify.
    // The caller wipes the result after use.
    std::optional<std::vector<std::uint8_t>> open(std::span<const std::uint8_t> blob,
                                                  std::string_view associated_data) const;

    // The key id a blob starts with (0, never a key, for a blob too short to hold one), and the
    // 4 bytes a blob sealed under `id` starts with.
    static std::uint32_t key_id_of(std::span<const std::uint8_t> blob);
    static std::array<std::uint8_t, 4> key_id_prefix(std::uint32_t id);

private:
    const MasterKeys& keys_;
    RandomSource& random_;
};

}  // namespace kotp::otpd
