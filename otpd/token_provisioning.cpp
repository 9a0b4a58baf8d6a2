#include "token_provisioning.hpp"

#include <vector>

#include "kotp/base32.hpp"
#include "kotp/key_uri.hpp"
#include "kotp/wipe.hpp"
#include "qr_terminal.hpp"

namespace kotp::otpd {
namespace {

std::size_t secret_size(wire::Algorithm algorithm) {
    // RFC 6238's reference keys are as long as the hash output.
    switch (algorithm) {
        case wire::Algorithm::Sha256: return 32;
        case wire::Algorithm::Sha512: return 64;
        case wire::Algorithm::Sha1: break;
    }
    return 20;  // 160 bits, RFC 4226's recommendation
}

}  // namespace

ProvisionedToken::~ProvisionedToken() {
    wipe(secret_b32);
    wipe(uri);
}

std::optional<ProvisionedToken> provision_token(Store& store, const SecretBox& box, RandomSource& random,
                                                const Clock& clock, const Config& config,
                                                const UserRecord& user, const TokenParams& params) {
    std::vector<std::uint8_t> secret(secret_size(params.algorithm));
    if (!random.fill(secret)) return std::nullopt;
    auto sealed = box.seal(secret, user.name);
    if (!sealed) {
        wipe(secret);
        return std::nullopt;
    }
    TokenRecord token;
    token.user_id = user.id;
    token.type = params.type;
    token.algorithm = params.algorithm;
    token.digits = params.digits;
    token.period = params.type == wire::TokenType::Totp ? params.period : 30;
    token.state = wire::TokenState::Pending;
    token.label = params.label;
    token.sealed_secret = std::move(*sealed);
    token.created = clock.now();

    ProvisionedToken out;
    out.token_id = store.insert_token(token);
    out.secret_b32 = base32_encode(secret);
    wipe(secret);
    KeyUri uri;
    uri.type = params.type;
    uri.issuer = config.issuer;
    uri.account = user.name;
    uri.secret = out.secret_b32;
    uri.algorithm = params.algorithm;
    uri.digits = static_cast<int>(params.digits);
    uri.period = token.period;
    out.uri = make_key_uri(uri);
    return out;
}

std::string provisioning_text(const ProvisionedToken& token) {
    std::string grouped;
    for (std::size_t i = 0; i < token.secret_b32.size(); ++i) {
        if (i > 0 && i % 4 == 0) grouped.push_back(' ');
        grouped.push_back(token.secret_b32[i]);
    }
    std::string text = "Scan this QR code with Google Authenticator, WinAuth or OTP Manager,\n"
                       "or type the key string into the app:\n\n";
    text += render_qr_terminal(token.uri);
    text += "\nKey string: " + grouped + "\nURI: " + token.uri + "\n";
    wipe(grouped);
    return text;
}

}  // namespace kotp::otpd
