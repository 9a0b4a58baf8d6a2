#include "kotp/hex.hpp"

namespace kotp {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::string hex_encode(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (const auto b : bytes) {
        hex.push_back(kDigits[b >> 4]);
        hex.push_back(kDigits[b & 0x0f]);
    }
    return hex;
}

std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view text, bool skip_blanks) {
    std::size_t digits = 0;
    for (const char c : text) {
        if (skip_blanks && is_blank(c)) continue;
        if (hex_value(c) < 0) return std::nullopt;
        ++digits;
    }
    if (digits % 2 != 0) return std::nullopt;
    std::vector<std::uint8_t> out;
    out.reserve(digits / 2);
    int high = -1;
    for (const char c : text) {
        if (skip_blanks && is_blank(c)) continue;
        const int v = hex_value(c);
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(high * 16 + v));
            high = -1;
        }
    }
    return out;
}

}  // namespace kotp
