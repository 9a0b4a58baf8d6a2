#include "kotp/otp.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <new>

namespace kotp::otp {
namespace {

const char* digest_name(wire::Algorithm algorithm) noexcept {
    switch (algorithm) {
        case wire::Algorithm::Sha1:
            return "SHA1";
        case wire::Algorithm::Sha256:
            return "SHA256";
        case wire::Algorithm::Sha512:
            return "SHA512";
    }
    return nullptr;
}

// 10^digits for the digits we allow.
constexpr std::array<std::uint32_t, 3> kModulus{1'000'000, 10'000'000, 100'000'000};

// OpenSSL's HMAC, fetched once per process (thread-safe static initialisation) and kept until
// exit; null if this OpenSSL has none, and then every code is empty.
EVP_MAC* hmac_algorithm() noexcept {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return mac;
}

}  // namespace

Hotp::Hotp(std::span<const std::uint8_t> key, wire::Algorithm algorithm, int digits) noexcept {
    const char* digest = digest_name(algorithm);
    if (digest == nullptr || digits < kMinDigits || digits > kMaxDigits || hmac_algorithm() == nullptr) return;
    ctx_ = EVP_MAC_CTX_new(hmac_algorithm());
    if (ctx_ == nullptr) return;
    // EVP_MAC_init treats a null key as "keep the previous key" and fails on a fresh context, so
    // an empty key gets a valid pointer with length 0 (HMAC defines that as an all-zero key).
    static constexpr std::uint8_t kNoKey = 0;
    const std::uint8_t* key_data = key.empty() ? &kNoKey : key.data();
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(ctx_, key_data, key.size(), params) != 1) {
        EVP_MAC_CTX_free(ctx_);
        ctx_ = nullptr;
        return;
    }
    digits_ = digits;
}

Hotp::~Hotp() { EVP_MAC_CTX_free(ctx_); }  // the provider wipes the key it holds

std::string Hotp::code(std::uint64_t counter) noexcept {
    if (ctx_ == nullptr) return {};
    std::array<std::uint8_t, 8> message{};
    for (std::size_t i = 0; i < message.size(); ++i)
        message[i] = static_cast<std::uint8_t>(counter >> (56 - 8 * i));

    std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
    std::size_t mac_length = 0;
    // A null key re-initialises the context from the key given at construction.
    const bool ok = EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1 &&
                    EVP_MAC_update(ctx_, message.data(), message.size()) == 1 &&
                    EVP_MAC_final(ctx_, mac.data(), &mac_length, mac.size()) == 1;

    std::string code;
    // RFC 4226 section 5.3 dynamic truncation; the offset needs 4 bytes after it, which every
    // SHA digest has (the smallest is 20 bytes).
    if (ok && mac_length >= 20 && mac_length <= mac.size()) {
        const std::size_t offset = mac[mac_length - 1] & 0x0fU;
        std::uint32_t value =
            ((std::uint32_t{mac[offset]} & 0x7fU) << 24) | (std::uint32_t{mac[offset + 1]} << 16) |
            (std::uint32_t{mac[offset + 2]} << 8) | std::uint32_t{mac[offset + 3]};
        value %= kModulus[static_cast<std::size_t>(digits_ - kMinDigits)];
        try {
            // Filled from the right so the code is zero-padded without a temporary string that
            // would have to be wiped too.
            code.assign(static_cast<std::size_t>(digits_), '0');
            for (auto it = code.rbegin(); it != code.rend() && value != 0; ++it, value /= 10)
                *it = static_cast<char>('0' + value % 10);
        } catch (const std::bad_alloc&) {
            code.clear();
        }
    }
    // The MAC is as good as the code for anyone who reads this stack later.
    OPENSSL_cleanse(mac.data(), mac.size());
    return code;
}

std::string hotp(std::span<const std::uint8_t> key, std::uint64_t counter, wire::Algorithm algorithm,
                 int digits) {
    return Hotp(key, algorithm, digits).code(counter);
}

std::uint64_t totp_step(std::int64_t unix_time, std::uint32_t period, std::int64_t t0) {
    if (period == 0 || unix_time < t0) return 0;
    // Unsigned arithmetic: unix_time - t0 may not fit an int64 (t0 very negative), but as
    // unix_time >= t0 the true difference always fits a uint64 and wraps to exactly that.
    const auto elapsed = static_cast<std::uint64_t>(unix_time) - static_cast<std::uint64_t>(t0);
    return elapsed / period;
}

std::string totp(std::span<const std::uint8_t> key, std::int64_t unix_time, std::uint32_t period,
                 wire::Algorithm algorithm, int digits) {
    if (period == 0) return {};  // no time step exists; an empty code matches nothing
    return hotp(key, totp_step(unix_time, period), algorithm, digits);
}

const char* algorithm_name(wire::Algorithm algorithm) noexcept {
    const char* name = digest_name(algorithm);
    return name != nullptr ? name : "unknown";
}

}  // namespace kotp::otp
