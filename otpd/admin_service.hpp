// The admin commands of kotp-admin, one handler per request type (matching the client calls in
// admin_cli/commands.cpp). Each runs in one transaction and is audited with the caller's uid.
#pragma once

#include <cstdint>
#include <vector>

#include "config.hpp"
#include "environment.hpp"
#include "kotp/messages.hpp"
#include "peer.hpp"
#include "secret_box.hpp"
#include "store.hpp"

namespace kotp::otpd {

using ReplyFrame = std::vector<std::uint8_t>;

ReplyFrame error_frame(wire::Status status, std::string text = {});

// A login name otpd accepts: 1-256 bytes of [A-Za-z0-9._@$-], not starting with '-'.
bool valid_user_name(std::string_view name);

class AdminService {
public:
    AdminService(Store& store, const SecretBox& box, RandomSource& random, const Clock& clock,
                 const Config& config)
        : store_(store), box_(box), random_(random), clock_(clock), config_(config) {}

    ReplyFrame enroll(const Peer& peer, const wire::AdminEnroll& request);
    ReplyFrame list(const wire::AdminList& request);
    ReplyFrame show(const wire::AdminShow& request);
    ReplyFrame unlock(const Peer& peer, const wire::AdminUnlock& request);
    ReplyFrame suspend(const Peer& peer, const wire::AdminSuspend& request);
    ReplyFrame remove(const Peer& peer, const wire::AdminRemove& request);
    ReplyFrame issue(const Peer& peer, const wire::AdminIssue& request);
    ReplyFrame reset(const Peer& peer, const wire::AdminReset& request);
    ReplyFrame recovery(const Peer& peer, const wire::AdminRecovery& request);
    ReplyFrame resync(const Peer& peer, const wire::AdminResync& request);
    // kotp status: the caller's own record, found by the peer's uid.
    ReplyFrame user_status(const Peer& peer);

private:
    ReplyFrame user_info(const UserRecord& user);
    UserRecord create_user(const std::string& name);
    // A new activation code for the user (replacing any earlier one), inside the transaction.
    ReplyFrame issue_activation(const UserRecord& user, std::uint32_t valid_seconds);
    void audit(const Peer& peer, const std::string& user, const std::string& action, std::int64_t token_id,
               std::string detail);

    Store& store_;
    const SecretBox& box_;
    RandomSource& random_;
    const Clock& clock_;
    const Config& config_;
};

}  // namespace kotp::otpd
