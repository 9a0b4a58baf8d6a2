#include "recovery_codes.hpp"

#include "code_hash.hpp"
#include "kotp/wire.hpp"

namespace kotp::otpd {

std::vector<std::string> make_recovery_codes(Store& store, RandomSource& random, std::int64_t user_id) {
    std::vector<std::uint8_t> salt(kSaltSize);
    if (!random.fill(salt)) throw StoreError("no random bytes for a recovery code salt");
    std::vector<std::string> codes;
    std::vector<std::vector<std::uint8_t>> hashes;
    for (std::uint16_t i = 0; i < wire::kRecoveryCodeCount; ++i) {
        std::string code = random_recovery_code(random);
        const auto hash = code.empty() ? std::nullopt : hash_code(normalize_recovery_code(code), salt);
        if (!hash) throw StoreError("cannot make a recovery code");
        hashes.emplace_back(hash->begin(), hash->end());
        codes.push_back(std::move(code));
    }
    store.replace_recovery_codes(user_id, salt, hashes);
    return codes;
}

std::string recovery_codes_text(const std::vector<std::string>& codes) {
    std::string text =
        "Your recovery codes. Each works once, typed in place of a code when your device is not at hand.\n"
        "Keep them somewhere safe: they are not shown again.\n";
    for (const auto& c : codes) text += "  " + c + "\n";
    return text;
}

}  // namespace kotp::otpd
