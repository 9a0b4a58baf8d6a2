#include "fast_hotp.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include "kotp/otp.hpp"

namespace kotp::bench {

FastHotp::FastHotp() {
    mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx_ = mac_ != nullptr ? EVP_MAC_CTX_new(mac_) : nullptr;
    if (ctx_ == nullptr) {
        EVP_MAC_free(mac_);
        throw std::runtime_error("OpenSSL has no HMAC");
    }
}

FastHotp::~FastHotp() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
}

void FastHotp::set_key(std::span<const std::uint8_t> key) {
    char digest[] = "SHA1";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (key.empty() || EVP_MAC_init(ctx_, key.data(), key.size(), params) != 1)
        throw std::runtime_error("cannot key HMAC-SHA1");
}

std::uint32_t FastHotp::code(std::uint64_t counter) {
    std::array<std::uint8_t, 8> message{};
    for (std::size_t i = 0; i < message.size(); ++i)
        message[i] = static_cast<std::uint8_t>(counter >> (56 - 8 * i));
    std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
    std::size_t length = 0;
    // A null key re-initialises from the key given to set_key (no new key schedule).
    if (EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1 || EVP_MAC_update(ctx_, message.data(), message.size()) != 1 ||
        EVP_MAC_final(ctx_, mac.data(), &length, mac.size()) != 1 || length != 20)
        throw std::runtime_error("HMAC-SHA1 failed");
    const std::size_t offset = mac[length - 1] & 0x0fU;
    const std::uint32_t value = ((std::uint32_t{mac[offset]} & 0x7fU) << 24) | (std::uint32_t{mac[offset + 1]} << 16) |
                                (std::uint32_t{mac[offset + 2]} << 8) | std::uint32_t{mac[offset + 3]};
    return value % kCodeModulus;
}

std::string code_text(std::uint32_t code) {
    std::string text(kCodeDigits, '0');
    for (auto it = text.rbegin(); it != text.rend() && code != 0; ++it, code /= 10)
        *it = static_cast<char>('0' + code % 10);
    return text;
}

bool check_against_common(FastHotp& hotp, int samples, std::string& error) {
    for (int i = 0; i < samples; ++i) {
        std::array<std::uint8_t, 20> key{};
        std::uint64_t counter = 0;
        if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1 ||
            RAND_bytes(reinterpret_cast<unsigned char*>(&counter), sizeof counter) != 1) {
            error = "no random bytes";
            return false;
        }
        if (i % 2 == 0) counter %= 1'000'000;  // small counters (HOTP) as well as time steps
        hotp.set_key(key);
        for (std::uint64_t c = counter; c < counter + 3; ++c) {
            const std::string expected = otp::hotp(key, c, wire::Algorithm::Sha1, kCodeDigits);
            if (code_text(hotp.code(c)) != expected) {
                error = "the load generator's HOTP differs from otp::hotp at counter " + std::to_string(c);
                return false;
            }
        }
    }
    return true;
}

}  // namespace kotp::bench
