// The login path, and the other exchanges that prove something with a code (enrolment with an
// activation code, replacing a token, new recovery codes). One connection is one exchange: BEGIN
// says what to ask, each ANSWER is checked and consumed in one transaction:
//   read state -> refuse if suspended -> check the code against the window -> refuse a step at or
//   below the last accepted one (replay) -> record the accepted step and reset the failure count,
//   or count the failure and suspend at the threshold -> commit (durable) -> reply.
// otpd runs this on one thread, so one user's attempts are serialised; the store's transaction
// keeps that true against any other writer.
#pragma once

#include <string>
#include <string_view>

#include "code_match.hpp"
#include "config.hpp"
#include "environment.hpp"
#include "kotp/messages.hpp"
#include "login_policy.hpp"
#include "secret_box.hpp"
#include "store.hpp"

namespace kotp::otpd {

struct LoginContext {
    std::string user;
    std::string service;
    std::string rhost;
    std::string tty;
};

// What the session needs to log and reply after a step.
struct LoginDecision {
    wire::AuthStep reply;
    std::string detail;  // for the log: which token, which rule; never the code
    std::int64_t token_id = 0;
    // A failure was counted against the user (a wrong code, activation code or skewed code):
    // the per-host rate limit counts these, and nothing else (not a replay, not a malformed
    // input, not a refusal without looking at the code).
    bool failure_counted = false;
};

// Where an exchange stands; kept on the connection between BEGIN and the answers.
enum class LoginStage {
    None,         // not begun, or finished
    Code,         // waiting for a verification or recovery code (a login)
    Activation,   // waiting for an activation code
    FirstCode,    // waiting for the first code of the token just created
    CurrentCode,  // waiting for a current code that authorises a replace or new recovery codes
};

struct LoginProgress {
    wire::Intent intent = wire::Intent::Login;
    LoginStage stage = LoginStage::None;
    std::int64_t new_token = 0;  // FirstCode: the pending token being confirmed
};

// google-authenticator's emergency scratch codes, imported as recovery codes, are 8 digits.
inline constexpr std::size_t kImportedRecoveryDigits = 8;

class Verifier {
public:
    Verifier(Store& store, const SecretBox& box, RandomSource& random, const Clock& clock,
             const Config& config)
        : store_(store), box_(box), random_(random), clock_(clock), config_(config) {}

    // BEGIN: what to ask, or a refusal (not enrolled, suspended). Refusals are audited.
    LoginDecision begin(const LoginContext& login, LoginProgress& progress);

    // ANSWER: check and consume what the user typed. The reply is returned only after the state
    // change is committed; a store failure throws StoreError and nothing is acknowledged.
    LoginDecision answer(const LoginContext& login, std::string_view response, LoginProgress& progress);

    // Audits a refusal decided outside the verifier (permission, rate limits) in its own
    // transaction. A store failure is logged, never turned into anything but the refusal.
    void record_refusal(const LoginContext& login, const LoginDecision& decision) noexcept;

    // A whole login that is already at the code prompt (tests and the admin's view of it).
    LoginDecision verify_code(const LoginContext& login, std::string_view code);

private:
    enum class Verdict { Accepted, RecoveryUsed, Replay, Skewed, NoMatch, Undecryptable, Malformed };
    struct CodeCheck {
        Verdict verdict = Verdict::NoMatch;
        TokenRecord* token = nullptr;
        Match match;
        std::int64_t recovery_id = 0;
    };

    CodeCheck check_code(const UserRecord& user, std::vector<TokenRecord>& tokens, std::string_view typed,
                         std::int64_t only_token, bool allow_recovery);
    CodeCheck check_recovery(const UserRecord& user, const std::string& normalized);
    LoginDecision on_code(UserRecord& user, std::string_view typed, LoginProgress& progress);
    LoginDecision on_activation(UserRecord& user, std::string_view typed, LoginProgress& progress);
    LoginDecision start_new_token(UserRecord& user, LoginProgress& progress, std::string intro);
    LoginDecision count_failure(UserRecord& user, wire::Status status, std::string detail);
    LoginDecision prompt(std::string prompt_text, std::string text, bool echo) const;
    LoginDecision unenrolled(const UserRecord* user, LoginProgress& progress, std::string detail);
    LoginDecision waive(Waiver waiver) const;
    bool expire_lockout(UserRecord& user) const;
    LoginDecision refuse(wire::Status status, const UserRecord* user, std::string detail) const;
    void audit(const LoginContext& login, const LoginDecision& decision);

    Store& store_;
    const SecretBox& box_;
    RandomSource& random_;
    const Clock& clock_;
    const Config& config_;
};

}  // namespace kotp::otpd
