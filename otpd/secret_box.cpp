#include "secret_box.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "kotp/wipe.hpp"

namespace kotp::otpd {
namespace {

constexpr std::size_t kIdSize = 4;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kOverhead = kIdSize + kNonceSize + kTagSize;
constexpr std::size_t kMaxSecret = 1024;

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// AES-256-GCM fetched from OpenSSL once per process and kept until exit: EVP_aes_256_gcm()
// makes every EVP_*Init_ex fetch it again (OpenSSL 3's implicit fetch), once per login.
const EVP_CIPHER* aes_256_gcm() {
    static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return cipher;
}

const unsigned char* uc(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

std::uint32_t SecretBox::key_id_of(std::span<const std::uint8_t> blob) {
    if (blob.size() < kIdSize) return 0;
    return (std::uint32_t{blob[0]} << 24) | (std::uint32_t{blob[1]} << 16) | (std::uint32_t{blob[2]} << 8) |
           std::uint32_t{blob[3]};
}

std::array<std::uint8_t, kIdSize> SecretBox::key_id_prefix(std::uint32_t id) {
    return {static_cast<std::uint8_t>(id >> 24), static_cast<std::uint8_t>(id >> 16),
            static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
}

std::optional<std::vector<std::uint8_t>> SecretBox::seal(std::span<const std::uint8_t> secret,
                                                         std::string_view associated_data) const {
    const AesKey* key = keys_.find(keys_.current_id());
    if (key == nullptr || secret.empty() || secret.size() > kMaxSecret) return std::nullopt;
    std::vector<std::uint8_t> blob(kOverhead + secret.size());
    const std::uint32_t id = keys_.current_id();
    const auto prefix = key_id_prefix(id);
    std::copy(prefix.begin(), prefix.end(), blob.begin());
    std::uint8_t* nonce = blob.data() + kIdSize;
    std::uint8_t* out = nonce + kNonceSize;
    std::uint8_t* tag = out + secret.size();
    if (!random_.fill(std::span<std::uint8_t>(nonce, kNonceSize))) return std::nullopt;

    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    int final_len = 0;
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), aes_256_gcm(), nullptr, key->data(), nonce) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, uc(associated_data),
                          static_cast<int>(associated_data.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out, &len, secret.data(), static_cast<int>(secret.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out + len, &final_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), tag) != 1)
        return std::nullopt;
    return blob;
}

std::optional<std::vector<std::uint8_t>> SecretBox::open(std::span<const std::uint8_t> blob,
                                                         std::string_view associated_data) const {
    if (blob.size() <= kOverhead || blob.size() > kOverhead + kMaxSecret) return std::nullopt;
    const AesKey* key = keys_.find(key_id_of(blob));
    if (key == nullptr) return std::nullopt;
    const std::uint8_t* nonce = blob.data() + kIdSize;
    const std::uint8_t* in = nonce + kNonceSize;
    const std::size_t size = blob.size() - kOverhead;
    std::uint8_t tag[kTagSize];
    std::copy_n(in + size, kTagSize, tag);

    std::vector<std::uint8_t> secret(size);
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    int final_len = 0;
    const bool ok =
        ctx && EVP_DecryptInit_ex(ctx.get(), aes_256_gcm(), nullptr, key->data(), nonce) == 1 &&
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, uc(associated_data),
                          static_cast<int>(associated_data.size())) == 1 &&
        EVP_DecryptUpdate(ctx.get(), secret.data(), &len, in, static_cast<int>(size)) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag) == 1 &&
        EVP_DecryptFinal_ex(ctx.get(), secret.data() + len, &final_len) == 1;
    if (!ok) {
        wipe(secret);
        return std::nullopt;
    }
    return secret;
}

}  // namespace kotp::otpd
