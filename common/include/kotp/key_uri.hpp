// The otpauth:// Key URI Format understood by Google Authenticator, WinAuth, OTP Manager:
//   otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
//   otpauth://hotp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&counter=0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kotp/wire.hpp"

namespace kotp {

struct KeyUri {
    wire::TokenType type = wire::TokenType::Totp;
    std::string issuer;   // e.g. "kotp" or the cluster's name
    std::string account;  // the login name
    std::string secret;   // Base32 without padding
    wire::Algorithm algorithm = wire::Algorithm::Sha1;
    int digits = 6;
    std::uint32_t period = 30;   // TOTP only
    std::uint64_t counter = 0;   // HOTP only
    ~KeyUri();                   // wipes the secret
};

// Issuer and account are percent-encoded (RFC 3986 unreserved characters stay as they are);
// the label is "issuer:account".
std::string make_key_uri(const KeyUri& key);

// Parses a URI made by make_key_uri or an authenticator app; nullopt on anything malformed
// (wrong scheme or type, missing or invalid secret, digits not 6-8, period 0, bad escapes).
std::optional<KeyUri> parse_key_uri(std::string_view uri);

}  // namespace kotp
