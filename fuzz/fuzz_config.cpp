// otpd.conf: parse_config on any text. Besides the sanitizers' findings, a text that parses must
// leave a Config inside the ranges otpd.conf(5) documents (the setters are the only check otpd
// makes before using the values), and an error must name the file and a line of the text.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config.hpp"
#include "network_match.hpp"

namespace {

using kotp::otpd::Config;

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "fuzz_config: %s\n", what);
    std::abort();
}

void require(bool condition, const char* what) {
    if (!condition) violated(what);
}

bool has_control(const std::string& s) {
    for (const char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
    return false;
}

bool absolute_path(const std::string& s) { return !s.empty() && s.front() == '/' && s.size() <= 4095; }

void check_ranges(const Config& c) {
    using namespace std::chrono_literals;
    require(absolute_path(c.socket_path) && absolute_path(c.state_dir), "a path that is not absolute");
    require(c.database.empty() || absolute_path(c.database), "database is not absolute");
    require(c.master_key.empty() || absolute_path(c.master_key), "master_key is not absolute");
    for (const std::string* text : {&c.issuer, &c.prompt, &c.contact, &c.admin_group})
        require(!text->empty() && !has_control(*text), "an empty text or one with a control character");
    require(c.issuer.size() <= 64 && c.admin_group.size() <= 64, "issuer or admin_group too long");
    require(c.prompt.size() <= 200 && c.contact.size() <= 200, "prompt or contact too long");
    require(c.lockout_threshold >= 1 && c.lockout_threshold <= 100, "lockout_threshold out of range");
    require(c.lockout_duration >= 0s && c.lockout_duration <= 3650 * 24h, "lockout_duration out of range");
    require(c.window <= 10, "window out of range");
    require(c.hotp_look_ahead >= 1 && c.hotp_look_ahead <= 100, "hotp_look_ahead out of range");
    require(c.max_connections_per_uid >= 1 && c.max_connections_per_uid <= 1000,
            "max_connections_per_uid out of range");
    require(c.io_timeout >= 1s && c.io_timeout <= 300s, "io_timeout out of range");
    require(c.answer_timeout >= 5s && c.answer_timeout <= 3600s, "answer_timeout out of range");
    require(c.grace_period >= 0s && c.grace_period <= 24h, "grace_period out of range");
    require(c.audit_retention == 0s || (c.audit_retention >= 24h && c.audit_retention <= 36500 * 24h),
            "audit_retention out of range");
    for (const auto& group : c.exempt_groups)
        require(!group.empty() && group.size() <= 256 && group.find_first_of(" \t:") == std::string::npos,
                "an invalid exempt group");
    for (const auto& network : c.exempt_networks) {
        require(network.prefix <= (network.v6 ? 128u : 32u), "a prefix longer than the address");
        // The network holds its own address, and its text parses to the same network again.
        require(network.contains(network.v6, network.address), "a network without its own address");
        std::string error;
        const auto again = kotp::otpd::parse_network(network.text, error);
        require(again && again->v6 == network.v6 && again->address == network.address &&
                    again->prefix == network.prefix,
                "a network whose text parses to another network");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    Config config;
    const auto error = kotp::otpd::parse_config(text, "otpd.conf", config);
    if (error) {
        // "otpd.conf:LINE: ..." with LINE a line of the text.
        const std::string& m = error->message;
        require(m.rfind("otpd.conf:", 0) == 0, "an error that does not name the file");
        const std::size_t colon = m.find(':', 10);
        require(colon != std::string::npos && colon > 10, "an error without a line number");
        const unsigned long line = std::strtoul(m.c_str() + 10, nullptr, 10);
        std::size_t lines = 1;
        for (const char c : text) lines += c == '\n' ? 1 : 0;
        require(line >= 1 && line <= lines, "an error that names a line the text does not have");
        return 0;
    }
    check_ranges(config);
    // Parsing is a function of the text: the same text on a fresh Config gives the same values.
    Config again;
    require(!kotp::otpd::parse_config(text, "otpd.conf", again), "a text that parses only once");
    require(again.socket_path == config.socket_path && again.prompt == config.prompt &&
                again.unenrolled_allow_until == config.unenrolled_allow_until &&
                again.exempt_networks.size() == config.exempt_networks.size(),
            "the same text parsed to different values");
    return 0;
}
