#include "admin_service.hpp"

#include <algorithm>

#include <pwd.h>

#include "code_hash.hpp"
#include "code_match.hpp"
#include "kotp/otp.hpp"
#include "recovery_codes.hpp"
#include "token_provisioning.hpp"
#include "kotp/status.hpp"
#include "kotp/wipe.hpp"
#include "log.hpp"

namespace kotp::otpd {
bool valid_label(std::string_view label) {
    return std::all_of(label.begin(), label.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    });
}

ReplyFrame error_frame(wire::Status status, std::string text) {
    wire::ErrorReply reply;
    reply.status = status;
    reply.text = std::move(text);
    return wire::encode_frame(reply);
}

void AdminService::audit_row(const Peer& peer, const std::string& user, const std::string& action,
                             std::int64_t token_id, const std::string& detail) {
    AuditEntry e;
    e.time = clock_.now();
    e.user = user;
    e.service = "kotp-admin";
    e.result = action;
    e.token_id = token_id;
    e.detail = "by uid " + std::to_string(peer.uid) + (detail.empty() ? "" : ": " + detail);
    store_.append_audit(e);
}

void AdminService::audit(const Peer& peer, const std::string& user, const std::string& action,
                         std::int64_t token_id, std::string detail) {
    audit_row(peer, user, action, token_id, detail);
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

    Transaction txn(store_);
    auto user = store_.find_user(request.user);
    if (user) {
        if (store_.tokens_of(user->id).size() >= wire::kMaxTokensPerUser) return error_frame(wire::Status::TokenLimit);
    } else {
        user = create_user(request.user);
    }
    const TokenParams params{request.type, request.algorithm, request.digits, request.period, request.label};
    const auto token = provision_token(store_, box_, random_, clock_, config_, *user, params);
    if (!token) return error_frame(wire::Status::InternalError, "cannot create a secret");
    audit(peer, request.user, "enroll", token->token_id,
          std::string(request.type == wire::TokenType::Hotp ? "hotp" : "totp") + " token, pending");
    txn.commit();

    wire::Enrolled reply;
    reply.user = request.user;
    reply.token_id = static_cast<std::uint64_t>(token->token_id);
    reply.label = request.label;
    reply.secret = token->secret_b32;
    reply.uri = token->uri;
    auto frame = wire::encode_frame(reply);
    return frame;
}

UserRecord AdminService::create_user(const std::string& name) {
    UserRecord fresh;
    fresh.name = name;
    fresh.created = clock_.now();
    fresh.id = store_.insert_user(fresh);
    return fresh;
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
    auto frame = user_info(*user);
    txn.commit();
    return frame;
}

ReplyFrame AdminService::user_status(const Peer& peer) {
    std::vector<char> buf(16384);
    struct passwd pw {};
    struct passwd* found = nullptr;
    if (getpwuid_r(peer.uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr)
        return error_frame(wire::Status::UnknownUser, "your uid has no user name");
    Transaction txn(store_);
    const auto user = store_.find_user(found->pw_name);
    if (!user) return error_frame(wire::Status::NotEnrolled, std::string("user ") + found->pw_name + " is not enrolled");
    auto frame = user_info(*user);
    txn.commit();
    return frame;
}

ReplyFrame AdminService::user_info(const UserRecord& user) {
    const auto tokens = store_.tokens_of(user.id);
    wire::UserInfo reply;
    reply.user = user.name;
    reply.state = user.state;
    reply.failures = static_cast<std::uint16_t>(std::min(user.failures, 65535u));
    reply.reason = user.reason;
    reply.suspended_at = user.suspended_at;
    reply.last_login = user.last_login;
    reply.created = user.created;
    if (const auto exemption = store_.find_exemption(user.name); exemption && exemption->until > clock_.now()) {
        reply.exempt_until = exemption->until;
        reply.exempt_reason = exemption->reason;
    }
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
    reply.recovery_left = static_cast<std::uint16_t>(store_.recovery_codes(user.id).unused.size());
    if (const auto activation = store_.find_activation(user.id)) reply.activation_expires = activation->expires;
    return wire::encode_frame(reply);
}

ReplyFrame AdminService::unlock(const Peer& peer, const wire::AdminUnlock& request) {
    Transaction txn(store_);
    auto user = store_.find_user(request.user);
    if (!user) return error_frame(wire::Status::UnknownUser, "no user " + quoted(request.user));
    const bool was_suspended = user->state == wire::UserState::Suspended;
    const std::string was = was_suspended ? user->reason : "not suspended";
    user->lift_suspension();
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
    store_.delete_grace(user->id);
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

namespace kotp::otpd {

ReplyFrame AdminService::issue_activation(const UserRecord& user, std::uint32_t valid_seconds) {
    ActivationRecord record;
    record.salt.resize(kSaltSize);
    std::string code = random_digits(random_, 6);
    if (code.empty() || !random_.fill(record.salt)) return error_frame(wire::Status::InternalError, "no random bytes");
    const auto hash = hash_code(code, record.salt);
    if (!hash) return error_frame(wire::Status::InternalError, "cannot hash the code");
    record.hash.assign(hash->begin(), hash->end());
    record.created = clock_.now();
    record.expires = record.created + valid_seconds;
    store_.set_activation(user.id, record);  // voids any earlier code
    wire::ActivationIssued reply;
    reply.user = user.name;
    reply.code = code;
    reply.expires = record.expires;
    wipe(code);
    return wire::encode_frame(reply);
}

ReplyFrame AdminService::issue(const Peer& peer, const wire::AdminIssue& request) {
    if (!valid_user_name(request.user))
        return error_frame(wire::Status::InvalidArgument, "invalid user name " + quoted(request.user));
    Transaction txn(store_);
    auto user = store_.find_user(request.user);
    if (!user) user = create_user(request.user);
    auto frame = issue_activation(*user, request.valid_seconds);
    audit(peer, user->name, "issue", 0, "activation code valid " + std::to_string(request.valid_seconds) + "s");
    txn.commit();
    return frame;
}

ReplyFrame AdminService::reset(const Peer& peer, const wire::AdminReset& request) {
    Transaction txn(store_);
    auto user = store_.find_user(request.user);
    if (!user) return error_frame(wire::Status::UnknownUser, "no user " + quoted(request.user));
    store_.revoke_tokens(user->id);
    store_.delete_grace(user->id);
    store_.delete_recovery_codes(user->id);
    // A device change is the identity check the seeds describe: it also lifts a suspension.
    user->lift_suspension();
    store_.update_user(*user);
    auto frame = issue_activation(*user, request.valid_seconds);
    audit(peer, user->name, "reset", 0, "tokens and recovery codes revoked, new activation code");
    txn.commit();
    return frame;
}

ReplyFrame AdminService::recovery(const Peer& peer, const wire::AdminRecovery& request) {
    Transaction txn(store_);
    const auto user = store_.find_user(request.user);
    if (!user) return error_frame(wire::Status::UnknownUser, "no user " + quoted(request.user));
    wire::RecoveryCodes reply;
    reply.user = user->name;
    reply.codes = make_recovery_codes(store_, random_, user->id);
    audit(peer, user->name, "recovery", 0, "new set of recovery codes");
    txn.commit();
    return wire::encode_frame(reply);
}

ReplyFrame AdminService::resync(const Peer& peer, const wire::AdminResync& request) {
    Transaction txn(store_);
    const auto user = store_.find_user(request.user);
    if (!user) return error_frame(wire::Status::UnknownUser, "no user " + quoted(request.user));
    const std::string code1 = normalize_code(request.code1);
    const std::string code2 = normalize_code(request.code2);
    if (code1.empty() || code2.empty()) return error_frame(wire::Status::BadCodeFormat);
    const std::int64_t now = clock_.now();
    for (auto& token : store_.tokens_of(user->id)) {
        if (token.state == wire::TokenState::Revoked) continue;
        auto secret = box_.open(token.sealed_secret, user->name);
        if (!secret) continue;
        const auto position = find_consecutive(token, *secret, now, code1, code2);
        wipe(*secret);
        if (!position) continue;
        std::string what;
        if (token.type == wire::TokenType::Hotp) {
            token.counter = static_cast<std::uint64_t>(*position) + 1;
            what = "counter now " + std::to_string(token.counter);
        } else {
            token.drift = *position - static_cast<std::int64_t>(otp::totp_step(now, token.period));
            token.last_step = std::max(token.last_step, *position);
            what = "clock drift " + std::to_string(token.drift) + " step(s)";
        }
        store_.update_token(token);
        audit(peer, user->name, "resync", token.id, what);
        txn.commit();
        wire::Done reply;
        reply.text = "Resynchronised token " + std::to_string(token.id) + " of " + user->name + ": " + what + ".";
        return wire::encode_frame(reply);
    }
    return error_frame(wire::Status::WrongCode, "the two codes are not consecutive codes of any token of " +
                                                    user->name + " near now");
}

}  // namespace kotp::otpd
