#include "network_match.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace kotp::otpd {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A literal address; false for anything else (host names included).
bool parse_address(std::string_view text, bool& v6, std::array<std::uint8_t, 16>& out) {
    if (text.empty() || text.size() > 64) return false;
    const std::string s(text);
    out.fill(0);
    if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
        v6 = false;
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) {
        static constexpr std::array<std::uint8_t, 12> kMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::equal(kMapped.begin(), kMapped.end(), out.begin())) {  // ::ffff:a.b.c.d
            std::copy(out.begin() + 12, out.end(), out.begin());
            std::fill(out.begin() + 4, out.end(), std::uint8_t{0});
            v6 = false;
        } else {
            v6 = true;
        }
        return true;
    }
    return false;
}

bool prefix_matches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                    unsigned prefix) {
    const unsigned whole = prefix / 8;
    for (unsigned i = 0; i < whole; ++i)
        if (a[i] != b[i]) return false;
    const unsigned rest = prefix % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

bool Network::contains(bool addr_v6, const std::array<std::uint8_t, 16>& addr) const {
    return addr_v6 == v6 && prefix_matches(address, addr, prefix);
}

std::optional<Network> parse_network(std::string_view text, std::string& error) {
    text = trim(text);
    Network n;
    n.text = std::string(text);
    const auto slash = text.find('/');
    const auto address = text.substr(0, slash);
    if (!parse_address(address, n.v6, n.address)) {
        error = "'" + n.text + "' is not an IPv4 or IPv6 network (like 10.0.0.0/8 or 2001:db8::/32)";
        return std::nullopt;
    }
    const unsigned max_prefix = n.v6 ? 128 : 32;
    n.prefix = max_prefix;
    if (slash != std::string_view::npos) {
        const auto bits = text.substr(slash + 1);
        const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n.prefix);
        if (bits.empty() || ec != std::errc{} || end != bits.data() + bits.size() || n.prefix > max_prefix) {
            error = "'" + n.text + "': the prefix length must be 0 to " + std::to_string(max_prefix);
            return std::nullopt;
        }
    }
    std::array<std::uint8_t, 16> masked{};
    for (unsigned i = 0; i < 16; ++i) {
        const unsigned bit = i * 8;
        if (bit + 8 <= n.prefix) masked[i] = n.address[i];
        else if (bit < n.prefix) masked[i] = static_cast<std::uint8_t>(n.address[i] & (0xff << (8 - (n.prefix - bit))));
    }
    if (masked != n.address) {
        error = "'" + n.text + "' has host bits set below the /" + std::to_string(n.prefix) +
                " prefix; write the network address";
        return std::nullopt;
    }
    return n;
}

std::optional<std::vector<Network>> parse_network_list(std::string_view text, std::string& error) {
    std::vector<Network> networks;
    text = trim(text);
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto item = trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (item.empty()) {
            error = "has an empty entry between commas";
            return std::nullopt;
        }
        auto n = parse_network(item, error);
        if (!n) return std::nullopt;
        networks.push_back(std::move(*n));
    }
    return networks;
}

const Network* find_network(const std::vector<Network>& networks, std::string_view rhost) {
    if (networks.empty() || rhost.empty()) return nullptr;
    if (rhost.front() == '[' && rhost.back() == ']') rhost = rhost.substr(1, rhost.size() - 2);
    if (const auto zone = rhost.find('%'); zone != std::string_view::npos) rhost = rhost.substr(0, zone);
    bool v6 = false;
    std::array<std::uint8_t, 16> address{};
    if (!parse_address(rhost, v6, address)) return nullptr;
    for (const auto& n : networks)
        if (n.contains(v6, address)) return &n;
    return nullptr;
}

}  // namespace kotp::otpd
