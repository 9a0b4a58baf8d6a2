#include "kotp/terminal_text.hpp"

#include <cstdint>

namespace kotp {

namespace {

// Length of the UTF-8 sequence that starts at `s[i]` if it is well formed (shortest form, no
// surrogates, at most U+10FFFF), 0 otherwise. Sets `code_point`.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::uint32_t& code_point) {
    const auto byte = [&s](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
    const std::uint8_t lead = byte(i);
    std::size_t length = 0;
    std::uint32_t min = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2, min = 0x80, code_point = lead & 0x1fu;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3, min = 0x800, code_point = lead & 0x0fu;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4, min = 0x10000, code_point = lead & 0x07u;
    } else {
        return 0;
    }
    if (i + length > s.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xc0u) != 0x80u) return 0;
        code_point = (code_point << 6) | (byte(i + k) & 0x3fu);
    }
    if (code_point < min || code_point > 0x10ffff || (code_point >= 0xd800 && code_point <= 0xdfff))
        return 0;
    return length;
}

// Copies what a terminal shows as text; what it could take as a command (a control character,
// a C1 control, a malformed byte) becomes `replacement` if that is not NUL, else is dropped.
std::string filter(std::string_view text, bool keep_newline, char replacement) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<std::uint8_t>(text[i]);
        std::size_t length = 1;
        bool keep = false;
        if (byte < 0x80) {
            keep = (byte == '\n' && keep_newline) || (byte >= 0x20 && byte != 0x7f);
        } else {
            std::uint32_t code_point = 0;
            // malformed: a lone 0x9b is CSI on an 8-bit terminal
            if (const std::size_t n = utf8_sequence(text, i, code_point); n != 0) {
                length = n;
                keep = code_point >= 0xa0;
            }
        }
        if (keep)
            out.append(text.substr(i, length));
        else if (replacement != '\0')
            out.push_back(replacement);
        i += length;
    }
    return out;
}

}  // namespace

std::string terminal_safe(std::string_view text) { return filter(text, true, '\0'); }

std::string terminal_safe_line(std::string_view text) { return filter(text, false, '?'); }

}  // namespace kotp
