#include "admin_service.hpp"

#include <algorithm>

#include "kotp/base32.hpp"
#include "kotp/key_uri.hpp"
#include "kotp/status.hpp"
#include "kotp/wipe.hpp"
#include "log.hpp"

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

bool valid_label(std::string_view label) {
    return std::all_of(label.begin(), label.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    });
}

}  // namespace

ReplyFrame error_frame(wire::Status status, std::string text) {
    wire::ErrorReply reply;
    reply.status = status;
    reply.text = std::move(text);
    return wire::encode_frame(reply);
}

bool valid_user_name(std::string_view name) {
    if (name.empty() || name.size() > wire::kMaxUserName || name.front() == '-') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_' || c == '-' || c == '@' || c == '$';
    });
}

void AdminService::audit(const Peer& peer, const std::string& user, const std::string& action,
                         std::int64_t token_id, std::string detail) {
    AuditEntry e;
    e.time = clock_.now();
    e.user = user;
    e.service = "kotp-admin";
    e.result = action;
    e.token_id = token_id;
    e.detail = "by uid " + std::to_string(peer.uid) + (detail.empty() ? "" : ": " + detail);
    store_.append_audit(e);
    log_line(LogLevel::Notice, "admin " + action + " user=" + quoted(user) + " by uid=" + std::to_string(peer.uid) +
                                   (detail.empty() ? "" : " (" + quoted(detail) + ")"));
}

ReplyFrame AdminService::enroll(const Peer& peer, const wire::AdminEnroll& request) {
    if (!valid_user_name(request.user))
        return error_frame(wire::Status::InvalidArgument, "invalid user name " + quoted(request.user));
    if (request.digits != 6 && request.digits != 8)
        return error_frame(wire::Status::InvalidArgument, "digits must be 6 or 8");
    if (request.type == wire::TokenType::Totp && request.period != 30 && request.period != 60)
        return error_frame(wire::Status::InvalidArgument, "period must be 30 or 60 seconds");
    if (!valid_label(request.label))
        return error_frame(wire::Status::InvalidArgument, "the label contains control characters");

    std::vector<std::uint8_t> secret(secret_size(request.algorithm));
    if (!random_.fill(secret)) return error_frame(wire::Status::InternalError, "no random bytes");
    auto sealed = box_.seal(secret, request.user);
    if (!sealed) {
        wipe(secret);
        return error_frame(wire::Status::InternalError, "cannot encrypt the new secret");
    }

    Transaction txn(store_);
    auto user = store_.find_user(request.user);
    std::int64_t user_id = 0;
    if (user) {
        user_id = user->id;
        if (store_.tokens_of(user_id).size() >= wire::kMaxTokensPerUser) {
            wipe(secret);
            return error_frame(wire::Status::TokenLimit);
        }
    } else {
        UserRecord fresh;
        fresh.name = request.user;
        fresh.created = clock_.now();
        user_id = store_.insert_user(fresh);
    }
    TokenRecord token;
    token.user_id = user_id;
    token.type = request.type;
    token.algorithm = request.algorithm;
    token.digits = request.digits;
    token.period = request.type == wire::TokenType::Totp ? request.period : 30;
    token.state = wire::TokenState::Pending;
    token.label = request.label;
    token.sealed_secret = std::move(*sealed);
    token.created = clock_.now();
    const std::int64_t token_id = store_.insert_token(token);
    audit(peer, request.user, "enroll", token_id,
          std::string(request.type == wire::TokenType::Hotp ? "hotp" : "totp") + " token, pending");
    txn.commit();

    wire::Enrolled reply;
    reply.user = request.user;
    reply.token_id = static_cast<std::uint64_t>(token_id);
    reply.label = request.label;
    reply.secret = base32_encode(secret);
    KeyUri uri;
    uri.type = request.type;
    uri.issuer = config_.issuer;
    uri.account = request.user;
    uri.secret = reply.secret;
    uri.algorithm = request.algorithm;
    uri.digits = request.digits;
    uri.period = token.period;
    uri.counter = 0;
    reply.uri = make_key_uri(uri);
    wipe(secret);
    return wire::encode_frame(reply);
}

ReplyFrame AdminService::list(const wire::AdminList& request) {
    Transaction txn(store_);
    auto rows = store_.list_users(request.after, request.limit + 1u);
    txn.commit();
    wire::UserList reply;
    reply.more = rows.size() > request.limit;
    if (reply.more) rows.resize(request.limit);
    for (const auto& [user, tokens] : rows) {
        wire::UserSummary s;
        s.user = user.name;
        s.state = user.state;
        s.failures = static_cast<std::uint16_t>(std::min(user.failures, 65535u));
        s.tokens = static_cast<std::uint16_t>(tokens);
        s.last_login = user.last_login;
        reply.users.push_back(std::move(s));
    }
    return wire::encode_frame(reply);
}

ReplyFrame AdminService::show(const wire::AdminShow& request) {
    Transaction txn(store_);
    const auto user = store_.find_user(request.user);
    if (!user) return error_frame(wire::Status::UnknownUser, "no user " + quoted(request.user));
    const auto tokens = store_.tokens_of(user->id);
    txn.commit();
    wire::UserInfo reply;
    reply.user = user->name;
    reply.state = user->state;
    reply.failures = static_cast<std::uint16_t>(std::min(user->failures, 65535u));
    reply.reason = user->reason;
    reply.suspended_at = user->suspended_at;
    reply.last_login = user->last_login;
    reply.created = user->created;
    for (const auto& t : tokens) {
        wire::TokenInfo info;
        info.id = static_cast<std::uint64_t>(t.id);
        info.type = t.type;
        info.algorithm = t.algorithm;
        info.digits = static_cast<std::uint8_t>(t.digits);
        info.period = static_cast<std::uint16_t>(t.period);
        info.state = t.state;
        info.label = t.label;
        info.created = t.created;
        info.last_used = t.last_used;
        reply.tokens.push_back(std::move(info));
    }
    return wire::encode_frame(reply);
}

ReplyFrame AdminService::unlock(const Peer& peer, const wire::AdminUnlock& request) {
    Transaction txn(store_);
    auto user = store_.find_user(request.user);
    if (!user) return error_frame(wire::Status::UnknownUser, "no user " + quoted(request.user));
    const bool was_suspended = user->state == wire::UserState::Suspended;
    const std::string was = was_suspended ? user->reason : "not suspended";
    user->state = wire::UserState::Active;
    user->failures = 0;
    user->reason.clear();
    user->suspended_by_admin = false;
    user->suspended_at = 0;
    store_.update_user(*user);
    audit(peer, user->name, "unlock", 0, "was: " + was);
    txn.commit();
    wire::Done reply;
    reply.text = was_suspended ? "Unlocked " + user->name + " (was suspended: " + was + ")."
                               : user->name + " was not suspended; failure count reset to 0.";
    return wire::encode_frame(reply);
}

ReplyFrame AdminService::suspend(const Peer& peer, const wire::AdminSuspend& request) {
    if (!valid_label(request.reason))
        return error_frame(wire::Status::InvalidArgument, "the reason contains control characters");
    Transaction txn(store_);
    auto user = store_.find_user(request.user);
    if (!user) return error_frame(wire::Status::UnknownUser, "no user " + quoted(request.user));
    user->state = wire::UserState::Suspended;
    user->suspended_by_admin = true;
    user->suspended_at = clock_.now();
    user->reason = request.reason.empty() ? "suspended by an administrator" : request.reason;
    store_.update_user(*user);
    audit(peer, user->name, "suspend", 0, user->reason);
    txn.commit();
    wire::Done reply;
    reply.text = "Suspended " + user->name + ": " + user->reason + ".";
    return wire::encode_frame(reply);
}

ReplyFrame AdminService::remove(const Peer& peer, const wire::AdminRemove& request) {
    Transaction txn(store_);
    const auto user = store_.find_user(request.user);
    if (!user) return error_frame(wire::Status::UnknownUser, "no user " + quoted(request.user));
    const auto tokens = store_.tokens_of(user->id).size();
    store_.delete_user(user->id);
    audit(peer, user->name, "remove", 0, std::to_string(tokens) + " token(s) deleted");
    txn.commit();
    wire::Done reply;
    reply.text = "Removed " + user->name + " and " + std::to_string(tokens) + " token(s).";
    return wire::encode_frame(reply);
}

}  // namespace kotp::otpd
