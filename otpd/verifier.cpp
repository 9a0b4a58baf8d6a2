#include "verifier.hpp"

#include "code_match.hpp"
#include "kotp/status.hpp"
#include "kotp/wipe.hpp"
#include "log.hpp"

namespace kotp::otpd {
namespace {

std::string suspension_text(const UserRecord& user, const Config& config) {
    const auto t = describe(wire::Status::Suspended);
    std::string why = user.suspended_by_admin
                          ? "suspended by an administrator"
                          : "suspended after " + std::to_string(user.failures) + " failed attempts in a row";
    std::string text = std::string(t.id) + ": Your one-time password is " + why + ".";
    text += " Contact " + config.contact + " to have it unlocked.";
    return text;
}

std::string failure_text(wire::Status status, unsigned attempts_left) {
    const auto t = describe(status);
    std::string text = std::string(t.id) + ": " + t.cause + " " + t.remedy;
    if (status == wire::Status::WrongCode || status == wire::Status::ClockSkew)
        text += " (" + std::to_string(attempts_left) + (attempts_left == 1 ? " attempt" : " attempts") +
                " left before your one-time password is suspended.)";
    return text;
}

}  // namespace

bool Verifier::expire_lockout(UserRecord& user) const {
    if (user.state != wire::UserState::Suspended || user.suspended_by_admin ||
        config_.lockout_duration.count() == 0 ||
        clock_.now() < user.suspended_at + config_.lockout_duration.count())
        return false;
    user.state = wire::UserState::Active;
    user.failures = 0;
    user.reason.clear();
    user.suspended_at = 0;
    return true;
}

LoginDecision Verifier::refuse(wire::Status status, const UserRecord* user, std::string detail) const {
    LoginDecision d;
    d.reply.outcome = wire::Outcome::Failure;
    d.reply.status = status;
    d.reply.text = (status == wire::Status::Suspended && user != nullptr) ? suspension_text(*user, config_)
                                                                          : failure_text(status, 0);
    d.detail = std::move(detail);
    return d;
}

void Verifier::audit(const LoginContext& login, const LoginDecision& decision) {
    AuditEntry e;
    e.time = clock_.now();
    e.user = login.user;
    e.service = login.service;
    e.rhost = login.rhost;
    e.tty = login.tty;
    e.result = describe(decision.reply.status).id;
    e.token_id = decision.token_id;
    e.detail = decision.detail;
    store_.append_audit(e);
}

LoginDecision Verifier::begin(const LoginContext& login) {
    Transaction txn(store_);
    auto user = store_.find_user(login.user);
    LoginDecision decision;
    if (!user) {
        decision = refuse(wire::Status::NotEnrolled, nullptr, "no such user");
    } else {
        const bool lifted = expire_lockout(*user);
        if (lifted) store_.update_user(*user);
        bool has_token = false;
        for (const auto& t : store_.tokens_of(user->id))
            has_token = has_token || t.state != wire::TokenState::Revoked;
        if (user->state == wire::UserState::Suspended) {
            decision = refuse(wire::Status::Suspended, &*user, "refused without asking: suspended");
        } else if (!has_token) {
            decision = refuse(wire::Status::NotEnrolled, &*user, "no token");
        } else {
            if (lifted) txn.commit();
            decision.reply.outcome = wire::Outcome::Prompt;
            decision.reply.status = wire::Status::Ok;
            decision.reply.prompt = config_.prompt;
            return decision;
        }
    }
    audit(login, decision);
    txn.commit();
    return decision;
}

LoginDecision Verifier::verify_code(const LoginContext& login, std::string_view typed) {
    Transaction txn(store_);
    auto user = store_.find_user(login.user);
    if (!user) {
        // Removed between BEGIN and VERIFY.
        auto decision = refuse(wire::Status::NotEnrolled, nullptr, "no such user");
        audit(login, decision);
        txn.commit();
        return decision;
    }
    if (expire_lockout(*user)) store_.update_user(*user);
    if (user->state == wire::UserState::Suspended) {
        auto decision = refuse(wire::Status::Suspended, &*user, "refused without looking at the code");
        audit(login, decision);
        txn.commit();
        return decision;
    }

    std::string code = normalize_code(typed);
    if (code.empty()) {
        // Not a code at all: it cannot match, so it is no guess; refused and not counted.
        auto decision = refuse(wire::Status::BadCodeFormat, &*user, "input is not 6 to 8 digits");
        audit(login, decision);
        txn.commit();
        return decision;
    }

    const std::int64_t now = clock_.now();
    const MatchRules rules{config_.window, config_.hotp_look_ahead};
    auto tokens = store_.tokens_of(user->id);
    TokenRecord* accepted = nullptr;
    Match accepted_match;
    const TokenRecord* replayed = nullptr;
    const TokenRecord* skewed = nullptr;
    Match skew_match;
    bool undecryptable = false;
    for (auto& token : tokens) {
        if (token.state == wire::TokenState::Revoked) continue;
        auto secret = box_.open(token.sealed_secret, login.user);
        if (!secret) {
            undecryptable = true;
            continue;
        }
        const Match m = match_code(token, *secret, now, code, rules);
        wipe(*secret);
        if (m.kind == MatchKind::Accepted && accepted == nullptr) {
            accepted = &token;
            accepted_match = m;
        } else if (m.kind == MatchKind::Replay && replayed == nullptr) {
            replayed = &token;
        } else if (m.kind == MatchKind::Skewed && skewed == nullptr) {
            skewed = &token;
            skew_match = m;
        }
    }
    wipe(code);

    LoginDecision decision;
    if (accepted != nullptr) {
        if (accepted->type == wire::TokenType::Hotp)
            accepted->counter = static_cast<std::uint64_t>(accepted_match.position) + 1;
        else
            accepted->last_step = accepted_match.position;
        const bool activated = accepted->state == wire::TokenState::Pending;
        accepted->state = wire::TokenState::Active;
        accepted->last_used = now;
        store_.update_token(*accepted);
        user->failures = 0;
        user->last_login = now;
        store_.update_user(*user);
        decision.reply.outcome = wire::Outcome::Success;
        decision.reply.status = wire::Status::Ok;
        if (activated)
            decision.reply.text = "Your one-time-password token" +
                                  (accepted->label.empty() ? std::string() : " \"" + accepted->label + "\"") +
                                  " is now active.";
        decision.token_id = accepted->id;
        decision.detail = "accepted, step offset " + std::to_string(accepted_match.offset) +
                          (activated ? ", token activated" : "");
    } else if (undecryptable) {
        // A secret we cannot open (lost or wrong master key): the code may well be right, so
        // neither count it nor let it in.
        decision = refuse(wire::Status::InternalError, &*user,
                          "a token secret could not be decrypted: check the master key file");
    } else if (replayed != nullptr) {
        // A replay is not a guess: the code was right once. Refused, not counted.
        decision = refuse(wire::Status::CodeAlreadyUsed, &*user, "replay of an accepted code");
        decision.token_id = replayed->id;
    } else {
        ++user->failures;
        const wire::Status status = skewed != nullptr ? wire::Status::ClockSkew : wire::Status::WrongCode;
        const unsigned threshold = config_.lockout_threshold;
        if (user->failures >= threshold) {
            user->state = wire::UserState::Suspended;
            user->suspended_by_admin = false;
            user->suspended_at = now;
            user->reason = std::to_string(user->failures) + " failed attempts in a row";
            decision = refuse(wire::Status::Suspended, &*user,
                              std::string(describe(status).id) + ", failure " + std::to_string(user->failures) +
                                  " of " + std::to_string(threshold) + ": suspended");
        } else {
            const unsigned left = threshold - user->failures;
            decision = refuse(status, &*user,
                              "failure " + std::to_string(user->failures) + " of " + std::to_string(threshold));
            decision.reply.text = failure_text(status, left);
            decision.reply.attempts_left = static_cast<std::uint8_t>(std::min(left, 255u));
        }
        if (skewed != nullptr) {
            decision.token_id = skewed->id;
            decision.detail += ", code matches step offset " + std::to_string(skew_match.offset);
        }
        store_.update_user(*user);
    }
    audit(login, decision);
    txn.commit();  // durable before the reply leaves
    return decision;
}

}  // namespace kotp::otpd
