#include "verifier.hpp"

#include <algorithm>
#include <cstdlib>

#include "code_hash.hpp"
#include "kotp/ct_compare.hpp"
#include "kotp/otp.hpp"
#include "kotp/status.hpp"
#include "kotp/wipe.hpp"
#include "log.hpp"
#include "recovery_codes.hpp"
#include "token_provisioning.hpp"

namespace kotp::otpd {
namespace {

std::string suspension_text(const UserRecord& user, const Config& config) {
    const auto t = describe(wire::Status::Suspended);
    const std::string why = user.suspended_by_admin
                                ? "suspended by an administrator"
                                : "suspended after " + std::to_string(user.failures) + " failed attempts in a row";
    return std::string(t.id) + ": Your one-time password is " + why + ". Contact " + config.contact +
           " to have it unlocked.";
}

std::string failure_text(wire::Status status, unsigned attempts_left, std::string_view cause = {}) {
    const auto t = describe(status);
    std::string text = std::string(t.id) + ": " + std::string(cause.empty() ? t.cause : cause) + " " + t.remedy;
    if (status == wire::Status::WrongCode || status == wire::Status::ClockSkew ||
        status == wire::Status::ActivationFailed)
        text += " (" + std::to_string(attempts_left) + (attempts_left == 1 ? " attempt" : " attempts") +
                " left before your one-time password is suspended.)";
    return text;
}

std::string_view as_text(const std::vector<std::uint8_t>& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool is_live(const TokenRecord& t) { return t.state != wire::TokenState::Revoked; }

}  // namespace

bool Verifier::expire_lockout(UserRecord& user) const {
    if (user.state != wire::UserState::Suspended || user.suspended_by_admin ||
        config_.lockout_duration.count() == 0 ||
        clock_.now() < user.suspended_at + config_.lockout_duration.count())
        return false;
    user.lift_suspension();
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

LoginDecision Verifier::prompt(std::string prompt_text, std::string text, bool echo) const {
    LoginDecision d;
    d.reply.outcome = wire::Outcome::Prompt;
    d.reply.status = wire::Status::Ok;
    d.reply.prompt = std::move(prompt_text);
    d.reply.text = std::move(text);
    d.reply.echo = echo;
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

void Verifier::record_refusal(const LoginContext& login, const LoginDecision& decision) noexcept {
    try {
        Transaction txn(store_);
        audit(login, decision);
        txn.commit();
    } catch (const std::exception& e) {
        log_line(LogLevel::Error, std::string("cannot audit a refusal: ") + e.what());
    }
}

LoginDecision Verifier::count_failure(UserRecord& user, wire::Status status, std::string detail) {
    ++user.failures;
    const unsigned threshold = config_.lockout_threshold;
    detail += ", failure " + std::to_string(user.failures) + " of " + std::to_string(threshold);
    LoginDecision decision;
    if (user.failures >= threshold) {
        user.state = wire::UserState::Suspended;
        user.suspended_by_admin = false;
        user.suspended_at = clock_.now();
        user.reason = std::to_string(user.failures) + " failed attempts in a row";
        store_.delete_grace(user.id);
        decision = refuse(wire::Status::Suspended, &user, std::string(describe(status).id) + " " + detail + ": suspended");
    } else {
        const unsigned left = threshold - user.failures;
        decision = refuse(status, &user, std::move(detail));
        decision.reply.text = failure_text(status, left);
        decision.reply.attempts_left = static_cast<std::uint8_t>(std::min(left, 255u));
    }
    store_.update_user(user);
    decision.failure_counted = true;
    return decision;
}

namespace {

// The digits every live token shows (6 or 8), or 0 when they differ.
std::uint8_t common_digits(const std::vector<TokenRecord>& tokens) {
    unsigned digits = 0;
    for (const auto& t : tokens) {
        if (!is_live(t)) continue;
        if (digits != 0 && digits != t.digits) return 0;
        digits = t.digits;
    }
    return static_cast<std::uint8_t>(digits);
}

}  // namespace

LoginDecision Verifier::begin(const LoginContext& login, LoginProgress& progress) {
    Transaction txn(store_);
    auto user = store_.find_user(login.user);
    if (user && expire_lockout(*user)) store_.update_user(*user);
    const auto now = clock_.now();
    const bool logging_in = progress.intent == wire::Intent::Login;
    LoginDecision decision;
    if (user && user->state == wire::UserState::Suspended && user->suspended_by_admin) {
        // An admin's suspension stops every way in, exemptions included.
        decision = refuse(wire::Status::Suspended, &*user, "refused without asking: suspended by an admin");
    } else if (auto exempt = logging_in ? exemption_for(login.user, login.rhost, config_, store_, now) : std::nullopt) {
        decision = waive(std::move(*exempt));
    } else if (user && user->state == wire::UserState::Suspended) {
        decision = refuse(wire::Status::Suspended, &*user, "refused without asking: suspended");
    } else if (auto grace = user && logging_in ? grace_for(*user, login.rhost, config_, store_, now) : std::nullopt) {
        decision = waive(std::move(*grace));
    } else if (!user) {
        decision = logging_in || progress.intent == wire::Intent::Enroll
                       ? unenrolled(nullptr, progress, "no such user")
                       : refuse(wire::Status::NotEnrolled, nullptr, "no such user");
    } else {
        const auto tokens = store_.tokens_of(user->id);
        const bool any_live = std::any_of(tokens.begin(), tokens.end(), is_live);
        const bool any_active = std::any_of(tokens.begin(), tokens.end(), [](const TokenRecord& t) {
            return t.state == wire::TokenState::Active;
        });
        const auto intent = progress.intent;
        if (logging_in && any_live) {
            progress.stage = LoginStage::Code;
            decision = prompt(config_.prompt, {}, false);
            decision.reply.code_digits = common_digits(tokens);
        } else if ((intent == wire::Intent::Replace || intent == wire::Intent::NewRecoveryCodes) && any_active) {
            progress.stage = LoginStage::CurrentCode;
            decision = prompt("Current verification code: ", {}, false);
        } else if (intent == wire::Intent::Login || intent == wire::Intent::Enroll) {
            decision = unenrolled(&*user, progress, "no token");
        } else {
            decision = refuse(wire::Status::NotEnrolled, &*user, "no active token");
        }
    }
    if (decision.reply.outcome != wire::Outcome::Prompt) {
        progress.stage = LoginStage::None;
        audit(login, decision);
    }
    txn.commit();
    return decision;
}

// A user without a live token: first-login enrolment with an activation code (unenrolled =
// enroll, and always for kotp enroll), the rollout's waiver (allow), or a refusal.
LoginDecision Verifier::unenrolled(const UserRecord* user, LoginProgress& progress, std::string detail) {
    const bool enrolling = progress.intent == wire::Intent::Enroll;
    const bool offer_activation = enrolling || config_.unenrolled == UnenrolledPolicy::Enroll;
    // Looked up only for users without a token: an ordinary login pays no extra query.
    if (user != nullptr && offer_activation && store_.find_activation(user->id).has_value()) {
        progress.stage = LoginStage::Activation;
        return prompt("Activation code: ",
                      "You have no one-time-password token yet. Type the activation code your "
                      "administrator gave you to set one up now.",
                      true);
    }
    if (progress.intent == wire::Intent::Login) {
        if (auto waiver = unenrolled_waiver(config_, clock_.now())) return waive(std::move(*waiver));
    }
    auto decision = refuse(wire::Status::NotEnrolled, user, enrolling ? "no activation code" : std::move(detail));
    if (auto text = unenrolled_refusal_text(config_, clock_.now()); !text.empty()) {
        decision.reply.text = std::move(text);
        decision.detail += ", the rollout has ended";
    }
    return decision;
}

LoginDecision Verifier::waive(Waiver waiver) const {
    LoginDecision d;
    d.reply.outcome = wire::Outcome::Success;
    d.reply.status = waiver.status;
    d.reply.text = std::move(waiver.text);
    d.detail = std::move(waiver.detail);
    return d;
}

LoginDecision Verifier::verify_code(const LoginContext& login, std::string_view code) {
    LoginProgress progress;
    progress.stage = LoginStage::Code;
    return answer(login, code, progress);
}

LoginDecision Verifier::answer(const LoginContext& login, std::string_view response, LoginProgress& progress) {
    Transaction txn(store_);
    auto user = store_.find_user(login.user);
    LoginDecision decision;
    if (!user) {
        decision = refuse(wire::Status::NotEnrolled, nullptr, "no such user");  // removed meanwhile
    } else {
        if (expire_lockout(*user)) store_.update_user(*user);
        if (user->state == wire::UserState::Suspended) {
            decision = refuse(wire::Status::Suspended, &*user, "refused without looking at the code");
        } else if (progress.stage == LoginStage::Activation) {
            decision = on_activation(*user, response, progress);
        } else {
            decision = on_code(*user, response, progress);
        }
    }
    if (decision.reply.outcome != wire::Outcome::Prompt) progress.stage = LoginStage::None;
    if (user && decision.reply.outcome == wire::Outcome::Success && progress.intent == wire::Intent::Login &&
        config_.grace_period.count() > 0 && !login.rhost.empty())
        store_.set_grace(user->id, login.rhost, clock_.now() + config_.grace_period.count());
    audit(login, decision);
    txn.commit();  // durable before the reply leaves
    return decision;
}

Verifier::CodeCheck Verifier::check_code(const UserRecord& user, std::vector<TokenRecord>& tokens,
                                         std::string_view typed, std::int64_t only_token, bool allow_recovery) {
    CodeCheck result;
    std::string code = normalize_code(typed);
    if (code.empty()) {
        std::string recovery = allow_recovery ? normalize_recovery_code(typed) : std::string();
        if (recovery.empty()) {
            result.verdict = Verdict::Malformed;
            return result;
        }
        result = check_recovery(user, recovery);
        wipe(recovery);
        return result;
    }

    const std::int64_t now = clock_.now();
    const MatchRules rules{config_.window, config_.hotp_look_ahead};
    CodeCheck replay;
    CodeCheck skew;
    bool undecryptable = false;
    for (auto& token : tokens) {
        if (!is_live(token) || (only_token != 0 && token.id != only_token)) continue;
        auto secret = box_.open(token.sealed_secret, user.name);
        if (!secret) {
            undecryptable = true;
            continue;
        }
        const Match m = match_code(token, *secret, now, code, rules);
        wipe(*secret);
        if (m.kind == MatchKind::Accepted && result.verdict != Verdict::Accepted)
            result = {Verdict::Accepted, &token, m, 0};
        else if (m.kind == MatchKind::Replay && replay.token == nullptr)
            replay = {Verdict::Replay, &token, m, 0};
        else if (m.kind == MatchKind::Skewed && skew.token == nullptr)
            skew = {Verdict::Skewed, &token, m, 0};
    }
    if (result.verdict != Verdict::Accepted && !undecryptable && replay.token == nullptr && skew.token == nullptr &&
        allow_recovery && code.size() == kImportedRecoveryDigits) {
        // Scratch codes imported from google-authenticator are 8 digits: no token took it.
        if (auto scratch = check_recovery(user, code); scratch.verdict == Verdict::RecoveryUsed) result = scratch;
    }
    wipe(code);
    if (result.verdict == Verdict::Accepted || result.verdict == Verdict::RecoveryUsed) return result;
    // A secret we cannot open (lost or wrong master key): the code may well be right, so neither
    // count it nor let it in.
    if (undecryptable) return {Verdict::Undecryptable, nullptr, {}, 0};
    if (replay.token != nullptr) return replay;
    if (skew.token != nullptr) return skew;
    return result;
}

// A normalised recovery code against the user's unused set: one slow hash checks them all.
Verifier::CodeCheck Verifier::check_recovery(const UserRecord& user, const std::string& normalized) {
    CodeCheck result;
    const auto set = store_.recovery_codes(user.id);
    const auto hash = set.unused.empty() ? std::nullopt : hash_code(normalized, set.salt);
    if (hash) {
        const std::string_view mine(reinterpret_cast<const char*>(hash->data()), hash->size());
        for (const auto& candidate : set.unused)
            if (ct_equal(mine, as_text(candidate.hash))) result = {Verdict::RecoveryUsed, nullptr, {}, candidate.id};
    }
    return result;
}

LoginDecision Verifier::on_code(UserRecord& user, std::string_view typed,
                                LoginProgress& progress) {
    auto tokens = store_.tokens_of(user.id);
    const bool first_code = progress.stage == LoginStage::FirstCode;
    auto check = check_code(user, tokens, typed, first_code ? progress.new_token : 0, !first_code);
    const std::int64_t now = clock_.now();
    switch (check.verdict) {
        case Verdict::Malformed:
            // Not a code at all: it cannot match, so it is no guess; refused and not counted.
            return refuse(wire::Status::BadCodeFormat, &user, "input is not a code");
        case Verdict::Undecryptable:
            return refuse(wire::Status::InternalError, &user,
                          "a token secret could not be decrypted: check the master key file");
        case Verdict::Replay: {
            // A replay is not a guess: the code was right once. Refused, not counted.
            auto d = refuse(wire::Status::CodeAlreadyUsed, &user, "replay of an accepted code");
            d.token_id = check.token->id;
            return d;
        }
        case Verdict::Skewed: {
            auto d = count_failure(user, wire::Status::ClockSkew,
                                   "code matches step offset " + std::to_string(check.match.offset));
            d.token_id = check.token->id;
            return d;
        }
        case Verdict::NoMatch:
            return count_failure(user, wire::Status::WrongCode, first_code ? "wrong first code" : "wrong code");
        case Verdict::Accepted:
        case Verdict::RecoveryUsed: break;
    }

    // The proof holds: record it.
    LoginDecision decision;
    std::string text;
    bool activated = false;
    if (check.verdict == Verdict::RecoveryUsed) {
        store_.use_recovery_code(check.recovery_id, now);
        const auto left = store_.recovery_codes(user.id).unused.size();
        decision.detail = "recovery code used, " + std::to_string(left) + " left";
        text = "You logged in with a recovery code; " + std::to_string(left) +
               " left. Each works only once: make a new set with 'kotp recovery' soon.";
    } else {
        TokenRecord& token = *check.token;
        if (token.type == wire::TokenType::Hotp) {
            token.counter = static_cast<std::uint64_t>(check.match.position) + 1;
        } else {
            token.last_step = check.match.position;
            // Drift is learned per token: a code accepted beyond the normal window (only possible
            // through a drift found by resync) moves the drift with the device's clock; one within
            // the normal window means the clock is fine again. Jitter of one step never widens
            // the window.
            const auto window = static_cast<std::int64_t>(config_.window);
            token.drift = std::abs(check.match.offset) <= window ? 0 : check.match.offset;
        }
        activated = token.state == wire::TokenState::Pending;
        token.state = wire::TokenState::Active;
        token.last_used = now;
        store_.update_token(token);
        decision.token_id = token.id;
        decision.detail = "accepted, step offset " + std::to_string(check.match.offset) +
                          (activated ? ", token activated" : "");
        if (activated)
            text = "Your one-time-password token" + (token.label.empty() ? std::string() : " \"" + token.label + "\"") +
                   " is now active.";
        if (first_code && progress.intent == wire::Intent::Replace) {
            for (auto& other : tokens) {
                if (other.id == token.id || !is_live(other)) continue;
                other.state = wire::TokenState::Revoked;
                store_.update_token(other);
            }
            text += " Your previous token(s) no longer work.";
            decision.detail += ", previous tokens revoked";
        }
    }
    user.failures = 0;
    if (progress.intent == wire::Intent::Login) user.last_login = now;
    store_.update_user(user);

    if (progress.stage == LoginStage::CurrentCode && progress.intent == wire::Intent::Replace) {
        auto next = start_new_token(user, progress, "Code accepted. Now set up your new device.\n\n");
        next.detail = decision.detail + "; " + next.detail;
        return next;
    }
    const bool wants_codes = progress.intent == wire::Intent::NewRecoveryCodes ||
                             (activated && store_.recovery_codes(user.id).unused.empty());
    if (wants_codes) {
        const auto codes = make_recovery_codes(store_, random_, user.id);
        text += (text.empty() ? "" : "\n") + recovery_codes_text(codes);
        decision.detail += ", new recovery codes issued";
    }
    decision.reply.outcome = wire::Outcome::Success;
    decision.reply.status = wire::Status::Ok;
    decision.reply.text = std::move(text);
    return decision;
}

LoginDecision Verifier::on_activation(UserRecord& user, std::string_view typed,
                                      LoginProgress& progress) {
    const auto record = store_.find_activation(user.id);
    if (!record) return count_failure(user, wire::Status::ActivationFailed, "no live activation code");
    if (clock_.now() >= record->expires) {
        auto d = count_failure(user, wire::Status::ActivationFailed, "activation code expired");
        if (d.reply.status == wire::Status::ActivationFailed)
            d.reply.text = failure_text(wire::Status::ActivationFailed, d.reply.attempts_left,
                                        "The activation code has expired.");
        return d;
    }
    std::string code;
    for (const char c : typed)
        if (c != ' ') code.push_back(c);
    const auto hash = hash_code(code, record->salt);
    wipe(code);
    if (!hash) throw StoreError("cannot hash the activation code");
    const std::string_view mine(reinterpret_cast<const char*>(hash->data()), hash->size());
    if (!ct_equal(mine, as_text(record->hash)))
        return count_failure(user, wire::Status::ActivationFailed, "wrong activation code");
    store_.delete_activation(user.id);  // usable once
    user.failures = 0;
    store_.update_user(user);
    auto d = start_new_token(user, progress, "Activation code accepted.\n\n");
    d.detail = "activation code accepted; " + d.detail;
    return d;
}

LoginDecision Verifier::start_new_token(UserRecord& user, LoginProgress& progress, std::string intro) {
    const auto tokens = store_.tokens_of(user.id);
    if (std::count_if(tokens.begin(), tokens.end(), is_live) >= wire::kMaxTokensPerUser)
        return refuse(wire::Status::TokenLimit, &user, "token limit reached");
    TokenParams params;
    params.label = progress.intent == wire::Intent::Replace ? "replacement" : "enrolled at login";
    const auto token = provision_token(store_, box_, random_, clock_, config_, user, params);
    if (!token) throw StoreError("cannot create a token secret");
    progress.stage = LoginStage::FirstCode;
    progress.new_token = token->token_id;
    auto d = prompt("Verification code from your app: ",
                    intro + provisioning_text(*token) + "\nThen type the code your app shows to finish.", false);
    d.token_id = token->token_id;
    d.detail = "pending token created";
    return d;
}

}  // namespace kotp::otpd
