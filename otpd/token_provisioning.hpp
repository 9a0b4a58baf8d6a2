// Creating a token: a fresh secret from the CSPRNG, sealed into the store as a pending token, and
// what the user needs to load it into an app (Base32 key string, otpauth URI, terminal QR code).
// Used by kotp-admin enroll and by enrolment at login, so both make tokens the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config.hpp"
#include "environment.hpp"
#include "kotp/wire.hpp"
#include "secret_box.hpp"
#include "store.hpp"

namespace kotp::otpd {

struct TokenParams {
    wire::TokenType type = wire::TokenType::Totp;
    wire::Algorithm algorithm = wire::Algorithm::Sha1;
    unsigned digits = 6;
    unsigned period = 30;
    std::string label;
};

struct ProvisionedToken {
    std::int64_t token_id = 0;
    std::string secret_b32;  // shown once
    std::string uri;         // otpauth://, holds the secret
    ~ProvisionedToken();
};

// Inserts a pending token for `user` inside the caller's transaction. nullopt if the random
// source or the cipher fails. The caller checks the token limit first.
std::optional<ProvisionedToken> provision_token(Store& store, const SecretBox& box, RandomSource& random,
                                                const Clock& clock, const Config& config,
                                                const UserRecord& user, const TokenParams& params);

// The text a user sees to load a token: QR code (UTF-8 half blocks), key string in groups of 4,
// the URI, and which apps work.
std::string provisioning_text(const ProvisionedToken& token);

}  // namespace kotp::otpd
