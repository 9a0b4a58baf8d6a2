// The kotp wire protocol: every message, status code, limit and the protocol version.
//
// Both ends of the otpd Unix socket include this header and nothing else to learn the protocol:
// pam_kotp.so (loaded into sshd, login, su ...), kotp-admin, kotp and otpd itself.
//
// A frame is an 8-byte header followed by a payload:
//
//   u32 payload_length   big-endian, checked against the receiver's cap before any allocation
//   u16 version          kProtocolVersion; any other value is refused
//   u16 type             MessageType
//   payload              the fields of that message, in order, with the typed codec of codec.hpp
//
// Field encodings: integers are big-endian; a string is a u16 length and that many bytes, with no
// NUL byte and no more than the field's own limit; a list is a u16 count and that many entries.
// Bytes left over after the last field make the frame invalid.
//
// Protocol versions (bump kProtocolVersion and add a line for every change of a message):
//   1  kotp 0.1: AuthBegin/AuthAnswer/AuthStep, admin enroll, list, show, unlock, suspend, remove.
//   2  kotp 0.2: AuthBegin gains `intent` (login, enrol with an activation code, replace the
//      token, new recovery codes); AdminIssue, AdminReset, AdminRecovery, AdminResync,
//      UserStatus; replies ActivationIssued and RecoveryCodes; UserInfo gains recovery_left and
//      activation_expires.
//   3  kotp 0.3: AuthStep gains `code_digits`; AdminExempt, AdminUnexempt, AdminImport and the
//      reply Imported; UserInfo gains exempt_until and exempt_reason; statuses Exempt, Grace and
//      UnenrolledAllowed (logins let through without a code, each with its reason).
//   4  kotp 0.4: AdminLog and its reply AuditPage (the audit table, newest first, paged backwards
//      by id); AdminStats and its reply Stats (users by state, logins per hour).
//   5  kotp 0.5: AdminRekey and its reply RekeyStatus (re-seal every secret under a new master
//      key in batches, started by one request and followed by polling); statuses KS1015 (too
//      many failures from one source host) and KS1016 (too many requests from one uid).
#pragma once

#include <cstddef>
#include <cstdint>

namespace kotp::wire {

inline constexpr std::uint16_t kProtocolVersion = 5;

inline constexpr std::size_t kHeaderSize = 8;

// Caps on the payload a receiver accepts; checked before anything is allocated.
// Requests are small (a user name, a code); replies may carry a page of users or a QR code.
inline constexpr std::uint32_t kMaxRequestPayload = 4 * 1024;
inline constexpr std::uint32_t kMaxReplyPayload = 64 * 1024;
// AdminImport carries a batch of secrets; otpd accepts this size only from callers that may
// administer, and only for that message type, so an ordinary user still cannot make it allocate.
inline constexpr std::uint32_t kMaxImportPayload = 512 * 1024;

// Field limits, in bytes.
inline constexpr std::size_t kMaxUserName = 256;  // LOGIN_NAME_MAX is 256 on Linux
inline constexpr std::size_t kMaxService = 64;
inline constexpr std::size_t kMaxRhost = 1025;  // NI_MAXHOST
inline constexpr std::size_t kMaxTty = 64;
inline constexpr std::size_t kMaxResponse = 128;  // what a user types at a prompt
inline constexpr std::size_t kMaxLabel = 64;
inline constexpr std::size_t kMaxReason = 256;
inline constexpr std::size_t kMaxText = 16 * 1024;  // prompts and messages shown to the user
inline constexpr std::size_t kMaxSecretText = 256;  // a Base32 key string
inline constexpr std::size_t kMaxUri = 1024;
inline constexpr std::size_t kMaxCodeText = 32;  // an activation, verification or recovery code
inline constexpr std::uint16_t kRecoveryCodeCount = 10;
inline constexpr std::uint32_t kMaxActivationValidity = 366u * 24 * 3600;  // seconds
inline constexpr std::uint16_t kMaxListPage = 200;  // users per AdminList reply
inline constexpr std::uint16_t kMaxTokensPerUser = 10;
inline constexpr std::uint16_t kMaxImportBatch = 256;        // tokens per AdminImport
inline constexpr std::size_t kMaxImportSecret = 64;          // raw key bytes (SHA-512 block)
inline constexpr std::size_t kMinImportSecret = 10;          // 80 bits; RFC 4226 asks for 128
inline constexpr std::uint16_t kMaxImportedRecoveryCodes = 20;  // google-authenticator scratch codes
// The audit log: rows per AuditPage (every field of a row may be at its limit, rhost alone is
// 1 KiB), and the caps on a row's result and detail (otpd cuts a longer detail at this length).
inline constexpr std::uint16_t kMaxAuditPage = 32;
inline constexpr std::size_t kMaxAuditResult = 32;   // a message ID (KS1003) or an admin action
inline constexpr std::size_t kMaxAuditDetail = 512;
inline constexpr std::uint16_t kMaxStatsHours = 168;  // one week of per-hour counts
// Master key ids in one RekeyStatus list: otpd's key file is capped at 64 KiB, ~66 bytes a line.
inline constexpr std::uint16_t kMaxMasterKeys = 1024;
inline constexpr std::size_t kMaxRekeyText = 512;  // why a rekey failed

static_assert(kMaxUserName + kMaxService + kMaxRhost + kMaxTty + 4 * 2 <= kMaxRequestPayload,
              "an AuthBegin with every field at its limit must fit in one request frame");
static_assert(kMaxResponse + 2 <= kMaxRequestPayload);
static_assert(kMaxText * 2 + 16 <= kMaxReplyPayload, "an AuthStep must fit in one reply frame");
// One UserList entry is at most 2 + name + 1 (state) + 2 (failures) + 2 (tokens) + 8 (last login).
static_assert(kMaxListPage * (2 + kMaxUserName + 1 + 2 + 2 + 8) + 3 <= kMaxReplyPayload,
              "a full page of users must fit in one reply frame");
// One ImportToken is at most: user, 5 small fields, counter, secret, codes, label.
static_assert(kMaxImportBatch * (2 + kMaxUserName + 5 + 8 + 2 + 2 * kMaxImportSecret + 2 +
                                 kMaxImportedRecoveryCodes * (2 + kMaxCodeText) + 2 + kMaxLabel) +
                      2 <= kMaxImportPayload,
              "a full import batch must fit in one import frame");
// One AuditEntry is at most: id, time, user, service, rhost, tty, result, token_id, detail.
inline constexpr std::size_t kMaxAuditEntrySize = 8 + 8 + (2 + kMaxUserName) + (2 + kMaxService) +
                                                  (2 + kMaxRhost) + (2 + kMaxTty) + (2 + kMaxAuditResult) +
                                                  8 + (2 + kMaxAuditDetail);
static_assert(kMaxAuditPage * kMaxAuditEntrySize + 2 + 1 <= kMaxReplyPayload,
              "a full page of audit rows must fit in one reply frame");
static_assert(5 * 4 + 2 + kMaxStatsHours * (8 + 3 * 4) <= kMaxReplyPayload,
              "a week of per-hour counts must fit in one reply frame");
// RekeyStatus: run, state, accepted, key id, 3 counters, 2 times, uid, two id lists, text.
static_assert(4 + 1 + 1 + 4 + 3 * 8 + 2 * 8 + 4 + 2 * (2 + 4 * kMaxMasterKeys) + 2 + kMaxRekeyText <=
                  kMaxReplyPayload,
              "a RekeyStatus with every list at its limit must fit in one reply frame");

enum class MessageType : std::uint16_t {
    // Requests. The permission table in otpd says which caller may send which.
    AuthBegin = 1,   // {user, service, rhost, tty}: first message of a login attempt
    AuthAnswer = 2,  // {response}: what the user typed at the last prompt

    AdminEnroll = 16,   // {user, type, algorithm, digits, period, label}
    AdminList = 17,     // {after, limit}: users with name > after, sorted by name
    AdminShow = 18,     // {user}
    AdminUnlock = 19,   // {user}
    AdminSuspend = 20,  // {user, reason}
    AdminRemove = 21,   // {user}
    AdminIssue = 22,    // {user, valid_seconds}: a new activation code (voids the previous one)
    AdminReset = 23,    // {user, valid_seconds}: revoke tokens and recovery codes, issue a code
    AdminRecovery = 24, // {user}: a new set of recovery codes (voids the old set)
    AdminResync = 25,   // {user, code1, code2}: two consecutive codes re-align drift/counter
    AdminExempt = 26,   // {user, until, reason}: no code asked until then (the user need not exist)
    AdminUnexempt = 27, // {user}
    AdminImport = 28,   // {tokens[{user, type, algorithm, digits, period, counter, secret_hex, codes[], label}]}
    AdminLog = 29,      // {user ("" = all), since (Unix time, 0 = all), before_id (0 = newest), limit}
    AdminStats = 30,    // {hours (1..kMaxStatsHours)}
    AdminRekey = 31,    // {action (start, status), keep_old_keys}

    UserStatus = 32,    // {}: the calling user's own UserInfo (kotp status)

    // Replies.
    AuthStep = 128,  // {outcome, status, echo, prompt, text, attempts_left, code_digits}
    Error = 129,     // {status, text}: the request was refused; the connection is closed after it
    Enrolled = 130,  // {user, token_id, secret, uri, label}
    UserList = 131,  // {entries[{user, state, failures, tokens, last_login}], more}
    UserInfo = 132,  // {user, state, failures, reason, suspended_at, last_login, created, tokens[]}
    Done = 133,      // {text}: an admin command succeeded
    ActivationIssued = 134,  // {user, code, expires}
    RecoveryCodes = 135,     // {user, codes[]}
    Imported = 136,          // {imported, failures[{user, status, text}]}
    AuditPage = 137,  // {entries[{id, time, user, service, rhost, tty, result, token_id, detail}], more}
    // {users_total, users_active, users_suspended, users_exempt, users_without_token,
    //  hours[{start, logins_ok, waived, failures}]}
    Stats = 138,
    // {run, state, accepted, key_id, total, resealed, unreadable, started, finished, by_uid,
    //  removed_key_ids[], kept_key_ids[], text}
    RekeyStatus = 139,
};

// What the module should do next in a login attempt.
enum class Outcome : std::uint8_t {
    Prompt = 1,   // show `text` (if any) and ask `prompt`; answer with AuthAnswer
    Success = 2,  // let the user in; show `text` if it is not empty
    Failure = 3,  // refuse; show `text`
};

// Stable status codes. Each one has a message ID (KS.... from otpd, KC.... from the module), one
// line of cause and one of remedy in status.hpp; the README and the man page list them.
enum class Status : std::uint16_t {
    Ok = 0,                     // KS0000: the code (or recovery code) was accepted
    Exempt = 1,                 // KS0001: no code asked: exempt network, group or user
    Grace = 2,                  // KS0002: no code asked: a code from the same host shortly before
    UnenrolledAllowed = 3,      // KS0003: no token yet, let in during the rollout
    NotEnrolled = 1001,         // KS1001: the user has no active token
    ActivationFailed = 1002,    // KS1002: activation code wrong, expired or used (enrolment)
    WrongCode = 1003,           // KS1003: the code matches no token in the window
    CodeAlreadyUsed = 1004,     // KS1004: replay of a code (or older step) already accepted
    Suspended = 1005,           // KS1005: too many consecutive failures, or an admin suspended
    ClockSkew = 1006,           // KS1006: the code is valid for a time far from now
    BadCodeFormat = 1007,       // KS1007: not 6 or 8 digits
    PermissionDenied = 1008,    // KS1008: the caller may not make this request
    UnknownUser = 1009,         // KS1009: admin command for a user otpd does not know
    InternalError = 1010,       // KS1010: otpd could not read or record state
    ProtocolError = 1011,       // KS1011: malformed or unexpected frame
    Busy = 1012,                // KS1012: too many connections from this uid
    TokenLimit = 1013,          // KS1013: the user already has kMaxTokensPerUser tokens
    InvalidArgument = 1014,     // KS1014: a bad value in an admin request
    HostThrottled = 1015,       // KS1015: too many failed codes from this source host lately
    RequestLimit = 1016,        // KS1016: too many requests from this (unprivileged) uid
    ServiceUnavailable = 2001,  // KC2001: the module could not reach otpd in time
    UntrustedSocket = 2002,     // KC2002: the socket is not owned by root or _otpd
    ConversationFailed = 2003,  // KC2003: the PAM application could not ask the user
};

// What a login-style exchange (AuthBegin ... AuthStep) is for. Everything but Login needs the
// caller to be the user (or privileged), and always a proof: an activation code or a current code.
enum class Intent : std::uint8_t {
    Login = 1,             // the PAM module: verify a code (or enrol at first login)
    Enroll = 2,            // kotp enroll: activation code -> new token -> first code
    Replace = 3,           // kotp enroll --replace: current code -> new token -> first code
    NewRecoveryCodes = 4,  // kotp recovery: current code -> a new set of recovery codes
};

enum class UserState : std::uint8_t { Active = 0, Suspended = 1 };

enum class TokenType : std::uint8_t { Totp = 1, Hotp = 2 };
enum class Algorithm : std::uint8_t { Sha1 = 1, Sha256 = 2, Sha512 = 3 };
enum class TokenState : std::uint8_t { Pending = 1, Active = 2, Revoked = 3 };

enum class RekeyAction : std::uint8_t {
    Start = 1,   // write a new master key and re-seal every secret under it
    Status = 2,  // how the running (or the last) rekey is doing
};
enum class RekeyState : std::uint8_t { None = 0, Running = 1, Done = 2, Failed = 3 };

}  // namespace kotp::wire
