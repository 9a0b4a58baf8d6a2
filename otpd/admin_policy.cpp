// The admin commands for cluster operations: per-user exemptions and the import of tokens from
// other tools (migration). The rest of kotp-admin's handlers are in admin_service.cpp.
#include <algorithm>

#include "admin_service.hpp"
#include "code_hash.hpp"
#include "kotp/date_text.hpp"
#include "kotp/hex.hpp"
#include "kotp/wipe.hpp"
#include "log.hpp"
#include "verifier.hpp"

namespace kotp::otpd {
namespace {

// An imported recovery code in the form the login path checks: 8 digits (a google-authenticator
// scratch code) or a kotp recovery code; "" when it is neither.
std::string normalized_import_code(const std::string& code) {
    std::string digits = normalize_code(code);
    if (digits.size() == kImportedRecoveryDigits) return digits;
    wipe(digits);
    return normalize_recovery_code(code);
}

}  // namespace

ReplyFrame AdminService::exempt(const Peer& peer, const wire::AdminExempt& request) {
    if (!valid_user_name(request.user))
        return error_frame(wire::Status::InvalidArgument, "invalid user name " + quoted(request.user));
    if (!valid_label(request.reason))
        return error_frame(wire::Status::InvalidArgument, "the reason contains control characters");
    const auto now = clock_.now();
    if (request.until <= now)
        return error_frame(wire::Status::InvalidArgument,
                           "the end of the exemption (" + format_local_time(request.until) + ") is not in the future");
    Transaction txn(store_);
    store_.set_exemption({request.user, request.until, request.reason, now, static_cast<std::int64_t>(peer.uid)});
    const std::string until = format_local_time(request.until);
    audit(peer, request.user, "exempt", 0, "until " + until + (request.reason.empty() ? "" : ": " + request.reason));
    txn.commit();
    wire::Done reply;
    reply.text = "No code is asked of " + request.user + " until " + until + ".";
    return wire::encode_frame(reply);
}

ReplyFrame AdminService::unexempt(const Peer& peer, const wire::AdminUnexempt& request) {
    Transaction txn(store_);
    if (!store_.delete_exemption(request.user))
        return error_frame(wire::Status::UnknownUser, request.user + " has no exemption");
    audit(peer, request.user, "unexempt", 0, {});
    txn.commit();
    wire::Done reply;
    reply.text = request.user + " is asked for a code again.";
    return wire::encode_frame(reply);
}

std::string AdminService::import_problem(const wire::ImportToken& t, std::vector<std::uint8_t>& secret) {
    if (!valid_user_name(t.user)) return "invalid user name";
    if (t.digits != 6 && t.digits != 8) return "digits must be 6 or 8";
    if (t.type == wire::TokenType::Totp && t.period != 30 && t.period != 60) return "period must be 30 or 60 seconds";
    if (!valid_label(t.label)) return "the label contains control characters";
    auto decoded = hex_decode(t.secret_hex);
    if (!decoded) return "the secret is not hex";
    secret = std::move(*decoded);
    if (secret.size() < wire::kMinImportSecret || secret.size() > wire::kMaxImportSecret)
        return "the secret must be " + std::to_string(wire::kMinImportSecret) + " to " +
               std::to_string(wire::kMaxImportSecret) + " bytes";
    for (const auto& code : t.recovery_codes) {
        auto normalized = normalized_import_code(code);
        const bool ok = !normalized.empty();
        wipe(normalized);
        if (!ok) return "a recovery code is neither 8 digits nor a kotp recovery code";
    }
    return {};
}

ReplyFrame AdminService::import_tokens(const Peer& peer, const wire::AdminImport& request) {
    wire::Imported reply;
    const auto now = clock_.now();
    Transaction txn(store_);
    for (const auto& t : request.tokens) {
        std::vector<std::uint8_t> secret;
        const auto fail = [&](wire::Status status, std::string text) {
            wipe(secret);
            reply.failures.push_back({t.user, status, std::move(text)});
        };
        if (auto problem = import_problem(t, secret); !problem.empty()) {
            fail(wire::Status::InvalidArgument, std::move(problem));
            continue;
        }
        auto user = store_.find_user(t.user);
        if (user && !store_.tokens_of(user->id).empty()) {
            // Importing twice must not give a user a second copy of the same secret.
            fail(wire::Status::InvalidArgument, "already has a token (kotp-admin reset or remove first)");
            continue;
        }
        if (!user) user = create_user(t.user);
        auto sealed = box_.seal(secret, t.user);
        wipe(secret);
        if (!sealed) {
            fail(wire::Status::InternalError, "cannot seal the secret");
            continue;
        }
        TokenRecord token;
        token.user_id = user->id;
        token.type = t.type;
        token.algorithm = t.algorithm;
        token.digits = t.digits;
        token.period = t.type == wire::TokenType::Totp ? t.period : 30;
        token.state = wire::TokenState::Active;
        token.label = t.label.empty() ? "imported" : t.label;
        token.sealed_secret = std::move(*sealed);
        token.counter = t.counter;
        token.created = now;
        const auto token_id = store_.insert_token(token);
        if (!t.recovery_codes.empty()) {
            std::vector<std::uint8_t> salt(kSaltSize);
            if (!random_.fill(salt)) throw StoreError("no random bytes for a recovery code salt");
            std::vector<std::vector<std::uint8_t>> hashes;
            for (const auto& code : t.recovery_codes) {
                auto normalized = normalized_import_code(code);
                const auto hash = hash_code(normalized, salt);
                wipe(normalized);
                if (!hash) throw StoreError("cannot hash a recovery code");
                hashes.emplace_back(hash->begin(), hash->end());
            }
            store_.replace_recovery_codes(user->id, salt, hashes);
        }
        audit_row(peer, t.user, "import", token_id,
                  std::string(t.type == wire::TokenType::Hotp ? "hotp" : "totp") + " token, active" +
                      (t.recovery_codes.empty() ? "" : ", " + std::to_string(t.recovery_codes.size()) + " recovery codes"));
        ++reply.imported;
    }
    txn.commit();
    log_line(LogLevel::Notice, "admin import of " + std::to_string(request.tokens.size()) + " token(s) by uid=" +
                                   std::to_string(peer.uid) + ": " + std::to_string(reply.imported) + " imported, " +
                                   std::to_string(reply.failures.size()) + " refused");
    return wire::encode_frame(reply);
}

}  // namespace kotp::otpd
