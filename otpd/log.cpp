#include "log.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace kotp::otpd {

void log_line(LogLevel level, std::string_view message) {
    // Under journald (JOURNAL_STREAM set) the prefix sets the priority; on a terminal it is noise.
    static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
    std::string line;
    if (journal) {
        line = "<" + std::to_string(static_cast<int>(level)) + ">";
    } else {
        switch (level) {
            case LogLevel::Error: line = "error: "; break;
            case LogLevel::Warning: line = "warning: "; break;
            default: break;
        }
    }
    line.append(message);
    line.push_back('\n');
    // One write per line so lines from one process never interleave.
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

std::string quoted(std::string_view text, std::size_t max_length) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    const bool cut = text.size() > max_length;
    if (cut) text = text.substr(0, max_length);
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c >= 0x7f) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else {
            out += ch;
        }
    }
    out += cut ? "...\"" : "\"";
    return out;
}

}  // namespace kotp::otpd
