#include "module_log.hpp"

#include <security/pam_ext.h>
#include <syslog.h>

#include <cstdint>

#include "kotp/status.hpp"

namespace kotp::pam {

std::string log_quote(std::string_view s) {
    constexpr std::size_t kMaxLogged = 256;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (char c : s.substr(0, kMaxLogged)) {
        const auto byte = static_cast<std::uint8_t>(c);
        if (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') {
            out.push_back(c);
        } else {
            out += "\\x";
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0x0f]);
        }
    }
    out.push_back('"');
    if (s.size() > kMaxLogged) out += "...";
    return out;
}

void ModuleLog::outcome(int priority, wire::Status status, std::string_view summary,
                        std::string_view detail) const {
    std::string line = describe(status).id;
    line += ' ';
    line += summary;
    line += " user=" + log_quote(request_.user);
    line += " service=" + log_quote(request_.service);
    line += " rhost=" + log_quote(request_.rhost);
    line += " tty=" + log_quote(request_.tty);
    if (!detail.empty()) {
        line += ' ';
        line += detail;
    }
    pam_syslog(pamh_, priority, "%s", line.c_str());
}

void ModuleLog::debug(std::string_view message) const {
    if (!debug_) return;
    const std::string line = "debug: " + std::string(message);
    pam_syslog(pamh_, LOG_DEBUG, "%s", line.c_str());
}

}  // namespace kotp::pam
