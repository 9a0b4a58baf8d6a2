// The master key file: the AES-256 keys that seal token secrets, kept apart from the database so
// that a copy of the database alone reveals no secret.
//
// Format: one key per line, "<id> <64 hex digits>"; the last line is the key new secrets are
// sealed with, earlier lines are kept so older rows still open (kotp-admin rekey rotates).
// The file must be a regular file owned by otpd's user with no group or other permission bits.
// It is created (mode 0600, O_EXCL) with one fresh key on first start.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "environment.hpp"

namespace kotp::otpd {

using AesKey = std::array<std::uint8_t, 32>;

class MasterKeys {
public:
    MasterKeys() = default;
    ~MasterKeys();
    MasterKeys(MasterKeys&&) noexcept = default;
    MasterKeys& operator=(MasterKeys&&) noexcept = default;

    std::uint32_t current_id() const { return current_id_; }
    const AesKey* find(std::uint32_t id) const;
    // Adds a key and makes it the current one (the one new secrets are sealed with).
    void add(std::uint32_t id, const AesKey& key);
    // Forgets an older key (wiping it); the current key cannot be removed.
    bool remove(std::uint32_t id);
    // Every id, in ascending order.
    std::vector<std::uint32_t> ids() const;
    // One above the highest id in use: an id no row can carry yet.
    std::uint32_t next_id() const;

private:
    std::map<std::uint32_t, AesKey> keys_;
    std::uint32_t current_id_ = 0;
};

// Loads the key file, creating it with one new key if it does not exist. On failure returns
// nullopt and sets `error` to a sentence for the operator.
std::optional<MasterKeys> load_or_create_master_keys(const std::string& path, RandomSource& random,
                                                     std::string& error);

// A value that tells keys apart without revealing them: HMAC-SHA256 of a fixed text under the key.
// Stores several otpd share keep one per key id (Store::key_check), so that a node with another
// key file under the same id is refused at start.
std::vector<std::uint8_t> key_check_value(const AesKey& key);

// Replaces the key file with `keys` (older keys first, the current key last) so that a crash at
// any moment leaves either the old file or the new one, never a mix: a new file PATH.new
// (0600, O_EXCL, owned by otpd's user) in the same directory, fsync, rename over PATH, fsync of
// the directory. A PATH.new left by a crash is removed first. Returns false and sets `error` to
// a sentence for the operator on failure; PATH is then unchanged.
bool replace_master_key_file(const std::string& path, const MasterKeys& keys, std::string& error);

}  // namespace kotp::otpd
