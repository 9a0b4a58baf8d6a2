#include "module_options.hpp"

#include <sys/un.h>

#include <charconv>
#include <string_view>

#include "kotp/client.hpp"

namespace kotp::pam {
namespace {

constexpr std::size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;

// Returns the value after `name=` if `arg` is that argument.
bool match_value(std::string_view arg, std::string_view name, std::string_view& value) {
    if (arg.size() <= name.size() || arg.substr(0, name.size()) != name || arg[name.size()] != '=')
        return false;
    value = arg.substr(name.size() + 1);
    return true;
}

// An argument is configuration written by root, but it still ends up in syslog: keep what we
// echo short and printable.
std::string printable_excerpt(std::string_view arg) {
    constexpr std::size_t kMaxEcho = 80;
    std::string out;
    for (char c : arg.substr(0, kMaxEcho)) {
        const auto byte = static_cast<unsigned char>(c);
        out.push_back(byte >= 0x20 && byte < 0x7f ? c : '?');
    }
    if (arg.size() > kMaxEcho) out += "...";
    return out;
}

std::string check_socket_path(std::string_view path) {
    if (path.empty() || path.front() != '/') return "must be an absolute path";
    if (path.size() > kMaxSocketPath)
        return "is longer than " + std::to_string(kMaxSocketPath) + " bytes";
    return {};
}

bool parse_timeout(std::string_view text, std::chrono::seconds& out) {
    long seconds = 0;
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (text.empty() || text.front() < '0' || text.front() > '9')
        return false;  // no sign, no space
    const auto [end, ec] = std::from_chars(first, last, seconds);
    if (ec != std::errc() || end != last) return false;
    if (seconds < kMinTimeoutSeconds || seconds > kMaxTimeoutSeconds) return false;
    out = std::chrono::seconds(seconds);
    return true;
}

}  // namespace

ParsedOptions parse_module_options(int argc, const char** argv) {
    ParsedOptions parsed;
    parsed.options.socket_path = kDefaultSocketPath;
    auto fail = [&parsed](std::string_view arg, const std::string& why) {
        parsed.error = "bad module argument '" + printable_excerpt(arg) + "': " + why;
        return parsed;
    };

    for (int i = 0; i < argc; ++i) {
        if (argv == nullptr || argv[i] == nullptr) return fail("(null)", "missing argument");
        const std::string_view arg = argv[i];
        std::string_view value;
        if (arg == "debug") {
            parsed.options.debug = true;
        } else if (arg == "combined") {
            parsed.options.combined = true;
        } else if (match_value(arg, "socket", value)) {
            if (const auto why = check_socket_path(value); !why.empty())
                return fail(arg, "socket " + why);
            parsed.options.socket_path = std::string(value);
        } else if (match_value(arg, "timeout", value)) {
            if (!parse_timeout(value, parsed.options.timeout))
                return fail(arg, "timeout must be a whole number of seconds from " +
                                     std::to_string(kMinTimeoutSeconds) + " to " +
                                     std::to_string(kMaxTimeoutSeconds));
        } else if (match_value(arg, "failmode", value)) {
            if (value == "closed") {
                parsed.options.failmode = FailMode::Closed;
            } else if (value == "open") {
                parsed.options.failmode = FailMode::Open;
            } else {
                return fail(arg, "failmode must be 'closed' or 'open'");
            }
        } else {
            return fail(
                arg, "unknown argument (expected socket=, timeout=, failmode=, combined or debug)");
        }
    }
    return parsed;
}

}  // namespace kotp::pam
