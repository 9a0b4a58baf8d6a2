// Group membership through NSS (files, LDAP, SSSD: whatever nsswitch.conf says), for the admin
// group and for exempt_groups. The primary group counts as membership.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace kotp::otpd {

// The first of `groups` that `user` belongs to, or nullopt (also when the user or a group is
// unknown to NSS).
std::optional<std::string> first_group_of(const std::string& user, const std::vector<std::string>& groups);

// Whether the account with `uid` belongs to `group`.
bool uid_in_group(uid_t uid, const std::string& group);

}  // namespace kotp::otpd
