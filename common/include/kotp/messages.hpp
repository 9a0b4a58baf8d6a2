// One struct per message of wire.hpp, each with encode() and decode() in matching pairs.
// decode() checks every limit and enum range; decode_payload() also refuses trailing bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kotp/codec.hpp"
#include "kotp/wire.hpp"

namespace kotp::wire {

struct AuthBegin {
    static constexpr MessageType kType = MessageType::AuthBegin;
    std::string user, service, rhost, tty;
    Intent intent = Intent::Login;
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct AuthAnswer {
    static constexpr MessageType kType = MessageType::AuthAnswer;
    std::string response;
    ~AuthAnswer();  // wipes what the user typed
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct AuthStep {
    static constexpr MessageType kType = MessageType::AuthStep;
    Outcome outcome = Outcome::Failure;
    Status status = Status::InternalError;
    bool echo = false;  // Prompt only: show what the user types (an activation code, not a secret)
    std::string prompt;
    std::string text;
    std::uint8_t attempts_left = 0;
    // Prompt for a code: how many digits the user's tokens show (6 or 8), 0 when they differ or
    // it is not a code prompt. The module's `combined` mode cuts that many digits off the end.
    std::uint8_t code_digits = 0;
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct ErrorReply {
    static constexpr MessageType kType = MessageType::Error;
    Status status = Status::InternalError;
    std::string text;
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct AdminEnroll {
    static constexpr MessageType kType = MessageType::AdminEnroll;
    std::string user;
    TokenType type = TokenType::Totp;
    Algorithm algorithm = Algorithm::Sha1;
    std::uint8_t digits = 6;
    std::uint16_t period = 30;
    std::string label;
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct Enrolled {
    static constexpr MessageType kType = MessageType::Enrolled;
    std::string user;
    std::uint64_t token_id = 0;
    std::string secret;  // Base32, shown once to the admin who enrolled
    std::string uri;     // otpauth://, holds the secret too
    std::string label;
    ~Enrolled();
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct AdminList {
    static constexpr MessageType kType = MessageType::AdminList;
    std::string after;  // names sorted bytewise; "" starts at the first
    std::uint16_t limit = kMaxListPage;
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct UserSummary {
    std::string user;
    UserState state = UserState::Active;
    std::uint16_t failures = 0;
    std::uint16_t tokens = 0;  // active and pending
    std::int64_t last_login = 0;  // Unix time, 0 = never
};

struct UserList {
    static constexpr MessageType kType = MessageType::UserList;
    std::vector<UserSummary> users;
    bool more = false;  // another page follows after the last name
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

// The admin commands that name one user and nothing else.
template <MessageType T>
struct UserRequest {
    static constexpr MessageType kType = T;
    std::string user;
    void encode(Writer& w) const { w.put_string(user, kMaxUserName); }
    bool decode(Reader& r) { return r.get_string(user, kMaxUserName) && !user.empty(); }
};
using AdminShow = UserRequest<MessageType::AdminShow>;
using AdminUnlock = UserRequest<MessageType::AdminUnlock>;
using AdminRemove = UserRequest<MessageType::AdminRemove>;

struct AdminSuspend {
    static constexpr MessageType kType = MessageType::AdminSuspend;
    std::string user;
    std::string reason;
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct TokenInfo {
    std::uint64_t id = 0;
    TokenType type = TokenType::Totp;
    Algorithm algorithm = Algorithm::Sha1;
    std::uint8_t digits = 6;
    std::uint16_t period = 30;
    TokenState state = TokenState::Pending;
    std::string label;
    std::int64_t created = 0;
    std::int64_t last_used = 0;  // 0 = never
};

struct UserInfo {
    static constexpr MessageType kType = MessageType::UserInfo;
    std::string user;
    UserState state = UserState::Active;
    std::uint16_t failures = 0;
    std::string reason;  // why suspended
    std::int64_t suspended_at = 0;
    std::int64_t last_login = 0;
    std::int64_t created = 0;
    std::vector<TokenInfo> tokens;
    std::uint16_t recovery_left = 0;      // unused recovery codes
    std::int64_t activation_expires = 0;  // a live activation code expires then; 0 = none
    std::int64_t exempt_until = 0;        // exempted from codes until then; 0 = not exempt
    std::string exempt_reason;
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct Done {
    static constexpr MessageType kType = MessageType::Done;
    std::string text;
    void encode(Writer& w) const { w.put_string(text, kMaxText); }
    bool decode(Reader& r) { return r.get_string(text, kMaxText); }
};

// The admin commands that name one user and a validity.
template <MessageType T>
struct UserValidityRequest {
    static constexpr MessageType kType = T;
    std::string user;
    std::uint32_t valid_seconds = 72 * 3600;
    void encode(Writer& w) const {
        w.put_string(user, kMaxUserName);
        w.put_u32(valid_seconds);
    }
    bool decode(Reader& r) {
        return r.get_string(user, kMaxUserName) && !user.empty() && r.get_u32(valid_seconds) &&
               valid_seconds >= 1 && valid_seconds <= kMaxActivationValidity;
    }
};
using AdminIssue = UserValidityRequest<MessageType::AdminIssue>;
using AdminReset = UserValidityRequest<MessageType::AdminReset>;
using AdminRecovery = UserRequest<MessageType::AdminRecovery>;

struct AdminResync {
    static constexpr MessageType kType = MessageType::AdminResync;
    std::string user;
    std::string code1;  // two consecutive codes of one token
    std::string code2;
    ~AdminResync();
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct UserStatus {
    static constexpr MessageType kType = MessageType::UserStatus;
    void encode(Writer&) const {}
    bool decode(Reader&) { return true; }
};

struct ActivationIssued {
    static constexpr MessageType kType = MessageType::ActivationIssued;
    std::string user;
    std::string code;  // 6 digits, shown once; otpd keeps only a hash
    std::int64_t expires = 0;
    ~ActivationIssued();
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct RecoveryCodes {
    static constexpr MessageType kType = MessageType::RecoveryCodes;
    std::string user;
    std::vector<std::string> codes;  // shown once; otpd keeps only hashes
    ~RecoveryCodes();
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

// No code is asked of `user` until `until` (Unix time); the user need not be enrolled (service
// accounts). Replaces an earlier exemption.
struct AdminExempt {
    static constexpr MessageType kType = MessageType::AdminExempt;
    std::string user;
    std::int64_t until = 0;
    std::string reason;
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

using AdminUnexempt = UserRequest<MessageType::AdminUnexempt>;

// One token to import: active at once, its secret given (migration from another tool).
struct ImportToken {
    std::string user;
    TokenType type = TokenType::Totp;
    Algorithm algorithm = Algorithm::Sha1;
    std::uint8_t digits = 6;
    std::uint16_t period = 30;
    std::uint64_t counter = 0;  // HOTP: next counter to accept
    std::string secret_hex;     // the key in hex (strings carry no NUL): 2 * (10..64) digits
    std::vector<std::string> recovery_codes;  // e.g. google-authenticator scratch codes
    std::string label;
    ImportToken() = default;
    ImportToken(const ImportToken&) = default;
    ImportToken& operator=(const ImportToken&) = default;
    ImportToken(ImportToken&&) noexcept = default;
    ImportToken& operator=(ImportToken&&) noexcept = default;
    ~ImportToken();  // wipes the secret and the codes
};

struct AdminImport {
    static constexpr MessageType kType = MessageType::AdminImport;
    std::vector<ImportToken> tokens;  // 1..kMaxImportBatch
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct ImportFailure {
    std::string user;
    Status status = Status::InvalidArgument;
    std::string text;
};

// The batch is one transaction: `imported` tokens are stored, each failure names its user.
struct Imported {
    static constexpr MessageType kType = MessageType::Imported;
    std::uint16_t imported = 0;
    std::vector<ImportFailure> failures;
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

// The audit table, newest first: rows of `user` ("" = every user) at or after `since` (0 = all)
// with id < before_id (0 = from the newest). A client pages backwards with the last id it got.
struct AdminLog {
    static constexpr MessageType kType = MessageType::AdminLog;
    std::string user;
    std::int64_t since = 0;
    std::int64_t before_id = 0;
    std::uint16_t limit = kMaxAuditPage;  // 1..kMaxAuditPage
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct AuditEntry {
    std::int64_t id = 0;
    std::int64_t time = 0;
    std::string user, service, rhost, tty;
    std::string result;  // a message ID (KS0000, KS1003 ...) or an admin action ("unlock")
    std::int64_t token_id = 0;
    std::string detail;  // the reason; for an admin action "by uid N: ..."; cut at kMaxAuditDetail
};

struct AuditPage {
    static constexpr MessageType kType = MessageType::AuditPage;
    std::vector<AuditEntry> entries;  // newest first
    bool more = false;                // older rows match too: ask again with before_id = last id
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct AdminStats {
    static constexpr MessageType kType = MessageType::AdminStats;
    std::uint16_t hours = 24;  // the current hour and the hours - 1 before it
    void encode(Writer& w) const { w.put_u16(hours); }
    bool decode(Reader& r) { return r.get_u16(hours) && hours >= 1 && hours <= kMaxStatsHours; }
};

// Logins of one hour, from the audit table.
struct HourCounts {
    std::int64_t start = 0;       // Unix time of the hour's first second
    std::uint32_t logins_ok = 0;  // KS0000: a code or recovery code accepted
    std::uint32_t waived = 0;     // KS0001..KS0003: exempt, grace, unenrolled allowed
    std::uint32_t failures = 0;   // KS1001..KS1007: refusals of a user (not admin or protocol errors)
};

struct Stats {
    static constexpr MessageType kType = MessageType::Stats;
    std::uint32_t users_total = 0;
    std::uint32_t users_active = 0;
    std::uint32_t users_suspended = 0;
    std::uint32_t users_exempt = 0;         // exemptions in force (by name: not always a user)
    std::uint32_t users_without_token = 0;  // users with no active or pending token
    std::vector<HourCounts> hours;          // oldest first, one per hour, 1..kMaxStatsHours
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

// kotp-admin rekey: Start writes a new master key and has otpd re-seal every secret under it,
// batch by batch between logins; the client then asks for Status until the run is over.
struct AdminRekey {
    static constexpr MessageType kType = MessageType::AdminRekey;
    RekeyAction action = RekeyAction::Status;
    bool keep_old_keys = false;  // Start: keep the older key lines in the key file
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

struct RekeyStatus {
    static constexpr MessageType kType = MessageType::RekeyStatus;
    std::uint32_t run = 0;  // numbers the rekeys since otpd started; 0: none yet
    RekeyState state = RekeyState::None;
    bool accepted = false;    // Start: this request started the run (false: another one runs)
    std::uint32_t key_id = 0;       // the key the run seals with (now otpd's current key)
    std::uint64_t total = 0;        // secrets under another key when the run started
    std::uint64_t resealed = 0;     // re-sealed under key_id so far
    std::uint64_t unreadable = 0;   // secrets that would not open (unknown key, damaged): left as they are
    std::int64_t started = 0;       // Unix time
    std::int64_t finished = 0;      // Unix time; 0 while running
    std::uint32_t by_uid = 0;       // who started the run
    std::vector<std::uint32_t> removed_key_ids;  // lines dropped from the key file at the end
    std::vector<std::uint32_t> kept_key_ids;     // older lines left in it (--keep-old-keys, still used)
    std::string text;                            // Failed: why
    void encode(Writer& w) const;
    bool decode(Reader& r);
};

}  // namespace kotp::wire
