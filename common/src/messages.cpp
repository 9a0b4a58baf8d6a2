#include "kotp/messages.hpp"

#include "kotp/wipe.hpp"

namespace kotp::wire {
namespace {

// Reads a u8 into an enum whose valid values are [lo, hi]; anything else is BadValue.
template <typename Enum>
bool get_enum(Reader& r, Enum& out, Enum lo, Enum hi) {
    std::uint8_t v = 0;
    if (!r.get_u8(v)) return false;
    if (v < static_cast<std::uint8_t>(lo) || v > static_cast<std::uint8_t>(hi)) return false;
    out = static_cast<Enum>(v);
    return true;
}

bool valid_status(std::uint16_t v) {
    return v <= 3 || (v >= 1001 && v <= 1016) || (v >= 2001 && v <= 2003);
}

bool get_status(Reader& r, Status& out) {
    std::uint16_t v = 0;
    if (!r.get_u16(v) || !valid_status(v)) return false;
    out = static_cast<Status>(v);
    return true;
}

bool get_bool(Reader& r, bool& out) {
    std::uint8_t v = 0;
    if (!r.get_u8(v) || v > 1) return false;
    out = v == 1;
    return true;
}

}  // namespace

void AuthBegin::encode(Writer& w) const {
    w.put_string(user, kMaxUserName);
    w.put_string(service, kMaxService);
    w.put_string(rhost, kMaxRhost);
    w.put_string(tty, kMaxTty);
    w.put_u8(static_cast<std::uint8_t>(intent));
    if (user.empty()) w.fail();
}

bool AuthBegin::decode(Reader& r) {
    return r.get_string(user, kMaxUserName) && !user.empty() && r.get_string(service, kMaxService) &&
           r.get_string(rhost, kMaxRhost) && r.get_string(tty, kMaxTty) &&
           get_enum(r, intent, Intent::Login, Intent::NewRecoveryCodes);
}

AuthAnswer::~AuthAnswer() { wipe(response); }

void AuthAnswer::encode(Writer& w) const { w.put_string(response, kMaxResponse); }

bool AuthAnswer::decode(Reader& r) { return r.get_string(response, kMaxResponse); }

void AuthStep::encode(Writer& w) const {
    w.put_u8(static_cast<std::uint8_t>(outcome));
    w.put_u16(static_cast<std::uint16_t>(status));
    w.put_u8(echo ? 1 : 0);
    w.put_string(prompt, kMaxText);
    w.put_string(text, kMaxText);
    w.put_u8(attempts_left);
    w.put_u8(code_digits);
}

bool AuthStep::decode(Reader& r) {
    return get_enum(r, outcome, Outcome::Prompt, Outcome::Failure) && get_status(r, status) &&
           get_bool(r, echo) && r.get_string(prompt, kMaxText) && r.get_string(text, kMaxText) &&
           r.get_u8(attempts_left) && r.get_u8(code_digits) &&
           (code_digits == 0 || code_digits == 6 || code_digits == 8);
}

void ErrorReply::encode(Writer& w) const {
    w.put_u16(static_cast<std::uint16_t>(status));
    w.put_string(text, kMaxText);
}

bool ErrorReply::decode(Reader& r) { return get_status(r, status) && r.get_string(text, kMaxText); }

void AdminEnroll::encode(Writer& w) const {
    w.put_string(user, kMaxUserName);
    w.put_u8(static_cast<std::uint8_t>(type));
    w.put_u8(static_cast<std::uint8_t>(algorithm));
    w.put_u8(digits);
    w.put_u16(period);
    w.put_string(label, kMaxLabel);
}

bool AdminEnroll::decode(Reader& r) {
    return r.get_string(user, kMaxUserName) && !user.empty() &&
           get_enum(r, type, TokenType::Totp, TokenType::Hotp) &&
           get_enum(r, algorithm, Algorithm::Sha1, Algorithm::Sha512) && r.get_u8(digits) &&
           r.get_u16(period) && r.get_string(label, kMaxLabel);
}

Enrolled::~Enrolled() {
    wipe(secret);
    wipe(uri);
}

void Enrolled::encode(Writer& w) const {
    w.put_string(user, kMaxUserName);
    w.put_u64(token_id);
    w.put_string(secret, kMaxSecretText);
    w.put_string(uri, kMaxUri);
    w.put_string(label, kMaxLabel);
}

bool Enrolled::decode(Reader& r) {
    return r.get_string(user, kMaxUserName) && r.get_u64(token_id) &&
           r.get_string(secret, kMaxSecretText) && r.get_string(uri, kMaxUri) &&
           r.get_string(label, kMaxLabel);
}

void AdminList::encode(Writer& w) const {
    w.put_string(after, kMaxUserName);
    w.put_u16(limit);
}

bool AdminList::decode(Reader& r) {
    return r.get_string(after, kMaxUserName) && r.get_u16(limit) && limit >= 1 &&
           limit <= kMaxListPage;
}

void UserList::encode(Writer& w) const {
    if (users.size() > kMaxListPage) return w.fail();
    w.put_u16(static_cast<std::uint16_t>(users.size()));
    for (const auto& u : users) {
        w.put_string(u.user, kMaxUserName);
        w.put_u8(static_cast<std::uint8_t>(u.state));
        w.put_u16(u.failures);
        w.put_u16(u.tokens);
        w.put_i64(u.last_login);
    }
    w.put_u8(more ? 1 : 0);
}

bool UserList::decode(Reader& r) {
    std::uint16_t count = 0;
    if (!r.get_u16(count) || count > kMaxListPage) return false;
    users.assign(count, {});
    for (auto& u : users) {
        if (!r.get_string(u.user, kMaxUserName) ||
            !get_enum(r, u.state, UserState::Active, UserState::Suspended) ||
            !r.get_u16(u.failures) || !r.get_u16(u.tokens) || !r.get_i64(u.last_login))
            return false;
    }
    return get_bool(r, more);
}

void AdminSuspend::encode(Writer& w) const {
    w.put_string(user, kMaxUserName);
    w.put_string(reason, kMaxReason);
}

bool AdminSuspend::decode(Reader& r) {
    return r.get_string(user, kMaxUserName) && !user.empty() && r.get_string(reason, kMaxReason);
}

void UserInfo::encode(Writer& w) const {
    w.put_string(user, kMaxUserName);
    w.put_u8(static_cast<std::uint8_t>(state));
    w.put_u16(failures);
    w.put_string(reason, kMaxReason);
    w.put_i64(suspended_at);
    w.put_i64(last_login);
    w.put_i64(created);
    if (tokens.size() > kMaxTokensPerUser) return w.fail();
    w.put_u16(static_cast<std::uint16_t>(tokens.size()));
    for (const auto& t : tokens) {
        w.put_u64(t.id);
        w.put_u8(static_cast<std::uint8_t>(t.type));
        w.put_u8(static_cast<std::uint8_t>(t.algorithm));
        w.put_u8(t.digits);
        w.put_u16(t.period);
        w.put_u8(static_cast<std::uint8_t>(t.state));
        w.put_string(t.label, kMaxLabel);
        w.put_i64(t.created);
        w.put_i64(t.last_used);
    }
    w.put_u16(recovery_left);
    w.put_i64(activation_expires);
    w.put_i64(exempt_until);
    w.put_string(exempt_reason, kMaxReason);
}

bool UserInfo::decode(Reader& r) {
    std::uint16_t count = 0;
    if (!r.get_string(user, kMaxUserName) ||
        !get_enum(r, state, UserState::Active, UserState::Suspended) || !r.get_u16(failures) ||
        !r.get_string(reason, kMaxReason) || !r.get_i64(suspended_at) || !r.get_i64(last_login) ||
        !r.get_i64(created) || !r.get_u16(count) || count > kMaxTokensPerUser)
        return false;
    tokens.assign(count, {});
    for (auto& t : tokens) {
        if (!r.get_u64(t.id) || !get_enum(r, t.type, TokenType::Totp, TokenType::Hotp) ||
            !get_enum(r, t.algorithm, Algorithm::Sha1, Algorithm::Sha512) || !r.get_u8(t.digits) ||
            !r.get_u16(t.period) || !get_enum(r, t.state, TokenState::Pending, TokenState::Revoked) ||
            !r.get_string(t.label, kMaxLabel) || !r.get_i64(t.created) || !r.get_i64(t.last_used))
            return false;
    }
    return r.get_u16(recovery_left) && r.get_i64(activation_expires) && r.get_i64(exempt_until) &&
           r.get_string(exempt_reason, kMaxReason);
}

AdminResync::~AdminResync() {
    wipe(code1);
    wipe(code2);
}

void AdminResync::encode(Writer& w) const {
    w.put_string(user, kMaxUserName);
    w.put_string(code1, kMaxCodeText);
    w.put_string(code2, kMaxCodeText);
}

bool AdminResync::decode(Reader& r) {
    return r.get_string(user, kMaxUserName) && !user.empty() && r.get_string(code1, kMaxCodeText) &&
           r.get_string(code2, kMaxCodeText);
}

ActivationIssued::~ActivationIssued() { wipe(code); }

void ActivationIssued::encode(Writer& w) const {
    w.put_string(user, kMaxUserName);
    w.put_string(code, kMaxCodeText);
    w.put_i64(expires);
}

bool ActivationIssued::decode(Reader& r) {
    return r.get_string(user, kMaxUserName) && r.get_string(code, kMaxCodeText) && r.get_i64(expires);
}

RecoveryCodes::~RecoveryCodes() {
    for (auto& c : codes) wipe(c);
}

void RecoveryCodes::encode(Writer& w) const {
    w.put_string(user, kMaxUserName);
    if (codes.size() > kRecoveryCodeCount) return w.fail();
    w.put_u16(static_cast<std::uint16_t>(codes.size()));
    for (const auto& c : codes) w.put_string(c, kMaxCodeText);
}

bool RecoveryCodes::decode(Reader& r) {
    std::uint16_t count = 0;
    if (!r.get_string(user, kMaxUserName) || !r.get_u16(count) || count > kRecoveryCodeCount) return false;
    codes.assign(count, {});
    for (auto& c : codes)
        if (!r.get_string(c, kMaxCodeText)) return false;
    return true;
}

void AdminExempt::encode(Writer& w) const {
    w.put_string(user, kMaxUserName);
    w.put_i64(until);
    w.put_string(reason, kMaxReason);
}

bool AdminExempt::decode(Reader& r) {
    return r.get_string(user, kMaxUserName) && !user.empty() && r.get_i64(until) && until > 0 &&
           r.get_string(reason, kMaxReason);
}

ImportToken::~ImportToken() {
    wipe(secret_hex);
    for (auto& c : recovery_codes) wipe(c);
}

void AdminImport::encode(Writer& w) const {
    if (tokens.size() > kMaxImportBatch) return w.fail();
    w.put_u16(static_cast<std::uint16_t>(tokens.size()));
    for (const auto& t : tokens) {
        w.put_string(t.user, kMaxUserName);
        w.put_u8(static_cast<std::uint8_t>(t.type));
        w.put_u8(static_cast<std::uint8_t>(t.algorithm));
        w.put_u8(t.digits);
        w.put_u16(t.period);
        w.put_u64(t.counter);
        w.put_string(t.secret_hex, 2 * kMaxImportSecret);
        if (t.recovery_codes.size() > kMaxImportedRecoveryCodes) return w.fail();
        w.put_u16(static_cast<std::uint16_t>(t.recovery_codes.size()));
        for (const auto& c : t.recovery_codes) w.put_string(c, kMaxCodeText);
        w.put_string(t.label, kMaxLabel);
    }
}

bool AdminImport::decode(Reader& r) {
    std::uint16_t count = 0;
    if (!r.get_u16(count) || count == 0 || count > kMaxImportBatch) return false;
    tokens.assign(count, {});
    for (auto& t : tokens) {
        std::uint16_t codes = 0;
        if (!r.get_string(t.user, kMaxUserName) || t.user.empty() ||
            !get_enum(r, t.type, TokenType::Totp, TokenType::Hotp) ||
            !get_enum(r, t.algorithm, Algorithm::Sha1, Algorithm::Sha512) || !r.get_u8(t.digits) ||
            !r.get_u16(t.period) || !r.get_u64(t.counter) || !r.get_string(t.secret_hex, 2 * kMaxImportSecret) ||
            !r.get_u16(codes) || codes > kMaxImportedRecoveryCodes)
            return false;
        t.recovery_codes.assign(codes, {});
        for (auto& c : t.recovery_codes)
            if (!r.get_string(c, kMaxCodeText)) return false;
        if (!r.get_string(t.label, kMaxLabel)) return false;
    }
    return true;
}

void Imported::encode(Writer& w) const {
    w.put_u16(imported);
    if (failures.size() > kMaxImportBatch) return w.fail();
    w.put_u16(static_cast<std::uint16_t>(failures.size()));
    for (const auto& f : failures) {
        w.put_string(f.user, kMaxUserName);
        w.put_u16(static_cast<std::uint16_t>(f.status));
        w.put_string(f.text, kMaxReason);
    }
}

bool Imported::decode(Reader& r) {
    std::uint16_t count = 0;
    if (!r.get_u16(imported) || imported > kMaxImportBatch || !r.get_u16(count) || count > kMaxImportBatch)
        return false;
    failures.assign(count, {});
    for (auto& f : failures)
        if (!r.get_string(f.user, kMaxUserName) || !get_status(r, f.status) || !r.get_string(f.text, kMaxReason))
            return false;
    return true;
}

void AdminLog::encode(Writer& w) const {
    w.put_string(user, kMaxUserName);
    w.put_i64(since);
    w.put_i64(before_id);
    w.put_u16(limit);
}

bool AdminLog::decode(Reader& r) {
    return r.get_string(user, kMaxUserName) && r.get_i64(since) && since >= 0 && r.get_i64(before_id) &&
           before_id >= 0 && r.get_u16(limit) && limit >= 1 && limit <= kMaxAuditPage;
}

void AuditPage::encode(Writer& w) const {
    if (entries.size() > kMaxAuditPage) return w.fail();
    w.put_u16(static_cast<std::uint16_t>(entries.size()));
    for (const auto& e : entries) {
        w.put_i64(e.id);
        w.put_i64(e.time);
        w.put_string(e.user, kMaxUserName);
        w.put_string(e.service, kMaxService);
        w.put_string(e.rhost, kMaxRhost);
        w.put_string(e.tty, kMaxTty);
        w.put_string(e.result, kMaxAuditResult);
        w.put_i64(e.token_id);
        w.put_string(e.detail, kMaxAuditDetail);
    }
    w.put_u8(more ? 1 : 0);
}

bool AuditPage::decode(Reader& r) {
    std::uint16_t count = 0;
    if (!r.get_u16(count) || count > kMaxAuditPage) return false;
    entries.assign(count, {});
    for (auto& e : entries) {
        if (!r.get_i64(e.id) || !r.get_i64(e.time) || !r.get_string(e.user, kMaxUserName) ||
            !r.get_string(e.service, kMaxService) || !r.get_string(e.rhost, kMaxRhost) ||
            !r.get_string(e.tty, kMaxTty) || !r.get_string(e.result, kMaxAuditResult) ||
            !r.get_i64(e.token_id) || !r.get_string(e.detail, kMaxAuditDetail))
            return false;
    }
    return get_bool(r, more);
}

void Stats::encode(Writer& w) const {
    if (hours.empty() || hours.size() > kMaxStatsHours) return w.fail();
    w.put_u32(users_total);
    w.put_u32(users_active);
    w.put_u32(users_suspended);
    w.put_u32(users_exempt);
    w.put_u32(users_without_token);
    w.put_u16(static_cast<std::uint16_t>(hours.size()));
    for (const auto& h : hours) {
        w.put_i64(h.start);
        w.put_u32(h.logins_ok);
        w.put_u32(h.waived);
        w.put_u32(h.failures);
    }
}

bool Stats::decode(Reader& r) {
    std::uint16_t count = 0;
    if (!r.get_u32(users_total) || !r.get_u32(users_active) || !r.get_u32(users_suspended) ||
        !r.get_u32(users_exempt) || !r.get_u32(users_without_token) || !r.get_u16(count) || count < 1 ||
        count > kMaxStatsHours)
        return false;
    hours.assign(count, {});
    for (auto& h : hours)
        if (!r.get_i64(h.start) || !r.get_u32(h.logins_ok) || !r.get_u32(h.waived) || !r.get_u32(h.failures))
            return false;
    return true;
}

void AdminRekey::encode(Writer& w) const {
    w.put_u8(static_cast<std::uint8_t>(action));
    w.put_u8(keep_old_keys ? 1 : 0);
}

bool AdminRekey::decode(Reader& r) {
    return get_enum(r, action, RekeyAction::Start, RekeyAction::Status) && get_bool(r, keep_old_keys);
}

namespace {

void put_key_ids(Writer& w, const std::vector<std::uint32_t>& ids) {
    if (ids.size() > kMaxMasterKeys) return w.fail();
    w.put_u16(static_cast<std::uint16_t>(ids.size()));
    for (const auto id : ids) w.put_u32(id);
}

bool get_key_ids(Reader& r, std::vector<std::uint32_t>& ids) {
    std::uint16_t count = 0;
    if (!r.get_u16(count) || count > kMaxMasterKeys) return false;
    ids.assign(count, 0);
    for (auto& id : ids)
        if (!r.get_u32(id)) return false;
    return true;
}

}  // namespace

void RekeyStatus::encode(Writer& w) const {
    w.put_u32(run);
    w.put_u8(static_cast<std::uint8_t>(state));
    w.put_u8(accepted ? 1 : 0);
    w.put_u32(key_id);
    w.put_u64(total);
    w.put_u64(resealed);
    w.put_u64(unreadable);
    w.put_i64(started);
    w.put_i64(finished);
    w.put_u32(by_uid);
    put_key_ids(w, removed_key_ids);
    put_key_ids(w, kept_key_ids);
    w.put_string(text, kMaxRekeyText);
}

bool RekeyStatus::decode(Reader& r) {
    return r.get_u32(run) && get_enum(r, state, RekeyState::None, RekeyState::Failed) && get_bool(r, accepted) &&
           r.get_u32(key_id) && r.get_u64(total) && r.get_u64(resealed) && r.get_u64(unreadable) &&
           r.get_i64(started) && r.get_i64(finished) && r.get_u32(by_uid) && get_key_ids(r, removed_key_ids) &&
           get_key_ids(r, kept_key_ids) && r.get_string(text, kMaxRekeyText);
}

}  // namespace kotp::wire
