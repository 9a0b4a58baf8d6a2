// Decides, for each decoded frame, whether this caller may send it now, and runs its handler.
// The permission table is the one place that says who may ask what (DESIGN section 1):
//   AuthBegin           root/otpd's user, or the user being verified; first request only
//   AuthAnswer          only after a Prompt on the same connection
//   Admin*              root/otpd's user or members of admin_group; not inside a login
//   UserStatus          anyone, about themselves only (the user is found from the peer's uid)
// Anything else, or anything out of order, gets an Error and the connection is closed.
// No exception leaves handle(): a store failure becomes KS1010 and nothing is acknowledged.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "admin_rekey.hpp"
#include "admin_service.hpp"
#include "peer.hpp"
#include "rate_limit.hpp"
#include "verifier.hpp"

namespace kotp::otpd {

enum class SessionPhase {
    Idle,          // a new connection, or between admin requests
    AwaitAnswer,   // a login that was prompted and waits for the user's answer
    Finished,      // the login ended; close after the reply
};

struct SessionState {
    SessionPhase phase = SessionPhase::Idle;
    LoginContext login;
    LoginProgress progress;
};

struct HandlerResult {
    ReplyFrame reply;
    bool close = false;
    // False for the prompt of an AuthBegin: it asks for a code and decides nothing (no code was
    // accepted, no failure counted), so it may leave before the group is durable. Whatever the
    // answer then decides is read again and made durable before its own reply.
    bool decides = true;
};

class RequestHandler {
public:
    // `rekey` may be null where no key file can be rewritten (unit tests of other requests):
    // AdminRekey is then refused.
    RequestHandler(Verifier& verifier, AdminService& admin, const Authorizer& authorizer,
                   RekeyService* rekey = nullptr)
        : verifier_(verifier), admin_(admin), authorizer_(authorizer), rekey_(rekey) {}

    // The rate limits to apply (rate_limit.hpp); without, none (the unit tests of the table).
    void set_rate_limits(RateLimits* limits) { limits_ = limits; }

    HandlerResult handle(const Peer& peer, SessionState& state, wire::MessageType type,
                         std::span<const std::uint8_t> payload) noexcept;

    // The fail-closed reply to a request of this type whose state change could not be made
    // durable: a login gets a failed step with KS1010's text, anything else an error.
    HandlerResult internal_failure(wire::MessageType type) const;

    // Logs a storage failure (once per outage, see storage_worked).
    void storage_failed(const std::string& what);

    // The largest payload this peer may send in a frame of this type: an import batch for
    // those who may administer, the small request cap for everything else.
    std::uint32_t max_payload(const Peer& peer, wire::MessageType type) const;

private:
    HandlerResult dispatch(const Peer& peer, SessionState& state, wire::MessageType type,
                           std::span<const std::uint8_t> payload);
    HandlerResult auth_begin(const Peer& peer, SessionState& state, const wire::AuthBegin& request);
    HandlerResult auth_answer(const Peer& peer, SessionState& state, const wire::AuthAnswer& request);
    void log_outcome(const Peer& peer, const LoginContext& login, const LoginDecision& decision);
    void storage_worked(wire::MessageType type);
    void refuse_permission(const LoginContext& login, std::string detail);
    std::optional<HandlerResult> throttle_uid(const Peer& peer);
    std::optional<HandlerResult> throttle_host(const Peer& peer, SessionState& state);

    Verifier& verifier_;
    AdminService& admin_;
    const Authorizer& authorizer_;
    RekeyService* rekey_;
    unsigned long refused_in_outage_ = 0;  // requests refused since the store last failed
    RateLimits* limits_ = nullptr;
};

}  // namespace kotp::otpd
