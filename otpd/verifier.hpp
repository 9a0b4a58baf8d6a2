// The login path: decide what a login attempt needs (BEGIN), then check and consume a code in
// one transaction (VERIFY): read state -> refuse if suspended -> check the code against the window
// -> refuse a step at or below the last accepted one (replay) -> record the accepted step and reset
// the failure count, or count the failure and suspend at the threshold -> commit (durable) -> reply.
// otpd runs this on one thread, so one user's attempts are serialised; the store's transaction
// keeps that true against any other writer.
#pragma once

#include <string>
#include <string_view>

#include "config.hpp"
#include "environment.hpp"
#include "kotp/messages.hpp"
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
};

class Verifier {
public:
    Verifier(Store& store, const SecretBox& box, const Clock& clock, const Config& config)
        : store_(store), box_(box), clock_(clock), config_(config) {}

    // BEGIN: prompt for a code, or refuse (not enrolled, suspended). Refusals are audited.
    LoginDecision begin(const LoginContext& login);

    // VERIFY: check and consume `code` for login.user. The reply is only returned after the state
    // change is committed; a store failure throws StoreError and nothing is replied but an error.
    LoginDecision verify_code(const LoginContext& login, std::string_view code);

private:
    // Lifts a lockout whose lockout_duration has passed. Returns true if it changed the user.
    bool expire_lockout(UserRecord& user) const;
    LoginDecision refuse(wire::Status status, const UserRecord* user, std::string detail) const;
    void audit(const LoginContext& login, const LoginDecision& decision);

    Store& store_;
    const SecretBox& box_;
    const Clock& clock_;
    const Config& config_;
};

}  // namespace kotp::otpd
