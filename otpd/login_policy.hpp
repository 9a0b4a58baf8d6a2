// The cluster policies of otpd.conf that let a login through without a code, or decide what a
// user without a token gets. Each decision carries the reason that goes to the log and the audit
// table, so an admin can always see why no code was asked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config.hpp"
#include "kotp/wire.hpp"
#include "store.hpp"

namespace kotp::otpd {

struct Waiver {
    wire::Status status = wire::Status::Exempt;  // Exempt, Grace or UnenrolledAllowed
    std::string detail;                          // for the log: which rule
    std::string text;                            // for the user; empty: say nothing
};

// Exempt by network (rhost inside exempt_networks; never an empty rhost), by group
// (exempt_groups, through NSS) or by an admin's per-user exemption still in force.
std::optional<Waiver> exemption_for(const std::string& user, const std::string& rhost, const Config& config,
                                    Store& store, std::int64_t now);

// A code from this rhost within grace_period: the same user from the same host needs none.
std::optional<Waiver> grace_for(const UserRecord& user, const std::string& rhost, const Config& config,
                                Store& store, std::int64_t now);

// unenrolled = allow: let in with a warning, if the rollout has not ended. nullopt: refuse.
std::optional<Waiver> unenrolled_waiver(const Config& config, std::int64_t now);

// What a refused unenrolled user is told (when the rollout has ended, it says so).
std::string unenrolled_refusal_text(const Config& config, std::int64_t now);

}  // namespace kotp::otpd
