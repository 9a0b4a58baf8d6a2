#include "code_hash.hpp"

#include <openssl/evp.h>

#include "kotp/wipe.hpp"

namespace kotp::otpd {
namespace {

// scrypt N=2^14, r=8, p=1: ~16 MiB and tens of milliseconds per hash. It only runs for input
// shaped like an activation or recovery code, so the login path of ordinary codes never pays it.
constexpr std::uint64_t kScryptN = 1u << 14;
constexpr std::uint64_t kScryptR = 8;
constexpr std::uint64_t kScryptP = 1;
constexpr std::uint64_t kScryptMaxMem = 64u * 1024 * 1024;

constexpr char kRecoveryAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::size_t kRecoveryLength = 10;

}  // namespace

std::optional<CodeHash> hash_code(std::string_view code, std::span<const std::uint8_t> salt) {
    CodeHash out{};
    if (EVP_PBE_scrypt(code.data(), code.size(), salt.data(), salt.size(), kScryptN, kScryptR, kScryptP,
                       kScryptMaxMem, out.data(), out.size()) != 1)
        return std::nullopt;
    return out;
}

std::string random_digits(RandomSource& random, std::size_t count) {
    std::string out;
    while (out.size() < count) {
        std::uint8_t b = 0;
        if (!random.fill(std::span<std::uint8_t>(&b, 1))) return {};
        if (b >= 250) continue;  // rejection sampling keeps every digit equally likely
        out.push_back(static_cast<char>('0' + b % 10));
    }
    return out;
}

std::string random_recovery_code(RandomSource& random) {
    std::uint8_t bytes[kRecoveryLength];
    if (!random.fill(bytes)) return {};
    std::string code;
    for (std::size_t i = 0; i < kRecoveryLength; ++i) {
        if (i == 5) code.push_back('-');
        code.push_back(kRecoveryAlphabet[bytes[i] & 31]);  // 256 is a multiple of 32: no bias
    }
    wipe(bytes, sizeof bytes);
    return code;
}

std::string normalize_recovery_code(std::string_view typed) {
    std::string code;
    for (char c : typed) {
        if (c == '-' || c == ' ') continue;
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        const bool valid = (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
        if (!valid || code.size() >= kRecoveryLength) {
            wipe(code);
            return {};
        }
        code.push_back(c);
    }
    if (code.size() != kRecoveryLength) wipe(code);
    return code;
}

}  // namespace kotp::otpd
