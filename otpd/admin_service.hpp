// The admin commands of kotp-admin, one handler per request type (matching the client calls in
// admin_cli/commands.cpp). Each runs in one transaction and is audited with the caller's uid.
#pragma once

#include <cstdint>
#include <vector>

#include "config.hpp"
#include "environment.hpp"
#include "kotp/messages.hpp"
#include "kotp/user_name.hpp"
#include "peer.hpp"
#include "secret_box.hpp"
#include "store.hpp"

namespace kotp::otpd {

using ReplyFrame = std::vector<std::uint8_t>;

ReplyFrame error_frame(wire::Status status, std::string text = {});

// A label or reason: no control characters.
bool valid_label(std::string_view label);

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
    ReplyFrame exempt(const Peer& peer, const wire::AdminExempt& request);
    ReplyFrame unexempt(const Peer& peer, const wire::AdminUnexempt& request);
    // A batch of tokens with their secrets (migration), active at once; one transaction.
    ReplyFrame import_tokens(const Peer& peer, const wire::AdminImport& request);
    // kotp-admin log: a page of the audit table, newest first (admin_audit.cpp).
    ReplyFrame log(const wire::AdminLog& request);
    // kotp-admin stats: users by state and login results per hour over the last hours.
    ReplyFrame stats(const wire::AdminStats& request);
    // kotp status: the caller's own record, found by the peer's uid.
    ReplyFrame user_status(const Peer& peer);

private:
    ReplyFrame user_info(const UserRecord& user);
    UserRecord create_user(const std::string& name);
    // A new activation code for the user (replacing any earlier one), inside the transaction.
    ReplyFrame issue_activation(const UserRecord& user, std::uint32_t valid_seconds);
    void audit(const Peer& peer, const std::string& user, const std::string& action, std::int64_t token_id,
               std::string detail);
    // The audit row alone, without a log line (an import logs one line per batch).
    void audit_row(const Peer& peer, const std::string& user, const std::string& action, std::int64_t token_id,
                   const std::string& detail);
    // Why one imported token is refused, or "" when it can be stored.
    std::string import_problem(const wire::ImportToken& token, std::vector<std::uint8_t>& secret);

    Store& store_;
    const SecretBox& box_;
    RandomSource& random_;
    const Clock& clock_;
    const Config& config_;
};

}  // namespace kotp::otpd
