// Base32 and otpauth:// key URIs: the input is tried as both. What decodes must survive a round
// trip through the encoder: base32_encode(base32_decode(x)) decodes to the same bytes, and a
// parsed URI written again by make_key_uri parses to the same key (the URI kotp shows as a QR
// code must mean what the admin's input meant).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "kotp/base32.hpp"
#include "kotp/key_uri.hpp"

namespace {

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "fuzz_key_uri: %s\n", what);
    std::abort();
}

void require(bool condition, const char* what) {
    if (!condition) violated(what);
}

void check_base32(std::string_view text, std::span<const std::uint8_t> raw) {
    if (const auto bytes = kotp::base32_decode(text)) {
        const std::string canonical = kotp::base32_encode(*bytes);
        const auto again = kotp::base32_decode(canonical);
        require(again && *again == *bytes, "decoded Base32 does not survive encode and decode");
    }
    // Any bytes: encode, then decode gives them back.
    const std::string encoded = kotp::base32_encode(raw);
    require(encoded.size() == (raw.size() * 8 + 4) / 5, "base32_encode wrote an unexpected length");
    const auto decoded = kotp::base32_decode(encoded);
    require(decoded && decoded->size() == raw.size() &&
                std::equal(decoded->begin(), decoded->end(), raw.begin()),
            "encoded bytes do not decode to themselves");
}

void check_key_uri(std::string_view text) {
    const auto key = kotp::parse_key_uri(text);
    if (!key) return;
    require(!key->secret.empty() && !key->account.empty(), "a parsed key without secret or account");
    require(key->digits >= 6 && key->digits <= 8, "a parsed key with digits outside 6-8");
    const std::string uri = kotp::make_key_uri(*key);
    require(!uri.empty(), "make_key_uri failed on a parsed key");
    const auto again = kotp::parse_key_uri(uri);
    if (!again) {
        std::fprintf(stderr, "fuzz_key_uri: does not parse again: %s\n", uri.c_str());
        violated("make_key_uri wrote a URI that parse_key_uri refuses");
    }
    require(again->type == key->type && again->issuer == key->issuer && again->account == key->account &&
                again->secret == key->secret && again->algorithm == key->algorithm &&
                again->digits == key->digits,
            "a key URI round trip changed the key");
    if (key->type == kotp::wire::TokenType::Hotp)
        require(again->counter == key->counter, "a key URI round trip changed the counter");
    else
        require(again->period == key->period, "a key URI round trip changed the period");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_base32(text, std::span<const std::uint8_t>(data, size));
    check_key_uri(text);
    return 0;
}
