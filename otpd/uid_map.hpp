// Is otpd in a user namespace that hides its callers' uids?
//
// otpd authorises every request from the caller's SO_PEERCRED uid. Under systemd's
// PrivateUsers=yes (or any user namespace that maps only a few uids) the kernel reports every
// unmapped uid as the overflow uid (65534, nobody): users and admins would all be refused. otpd
// checks its own /proc/self/uid_map at start and says so in the log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kotp::otpd {

struct UidMapSummary {
    bool identity = false;       // one line "0 0 4294967295": every uid is itself
    std::uint64_t mapped = 0;    // how many uids the namespace maps in all
};

// Parses the contents of a uid_map file; nullopt when it is not one.
std::optional<UidMapSummary> summarize_uid_map(std::string_view contents);

// A log sentence when the mapping of this process hides callers, empty when all is well (or
// when /proc is not there to tell).
std::string uid_map_warning(const std::string& uid_map_path = "/proc/self/uid_map");

}  // namespace kotp::otpd
