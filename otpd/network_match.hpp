// exempt_networks: IPv4 and IPv6 networks in CIDR notation, and whether a login's remote host
// (PAM_RHOST, as sshd sets it) lies inside one. Only a literal address can match: a host name
// (sshd with UseDNS yes) or an empty rhost (a console login) is never inside a network.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kotp::otpd {

struct Network {
    bool v6 = false;
    std::array<std::uint8_t, 16> address{};  // IPv4 uses the first 4 bytes
    unsigned prefix = 0;
    std::string text;  // as the admin wrote it, for the log

    bool contains(bool addr_v6, const std::array<std::uint8_t, 16>& addr) const;
};

// "10.0.0.0/8", "192.0.2.7" (a /32), "2001:db8::/32", "::1". Host bits set below the prefix
// are an error (10.1.2.3/8 is almost always a typo for something else).
std::optional<Network> parse_network(std::string_view text, std::string& error);

// A comma-separated list of networks; an empty list is valid.
std::optional<std::vector<Network>> parse_network_list(std::string_view text, std::string& error);

// The first network that holds `rhost`, or nullptr. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d)
// are matched as IPv4; a zone index (fe80::1%eth0) is ignored.
const Network* find_network(const std::vector<Network>& networks, std::string_view rhost);

}  // namespace kotp::otpd
