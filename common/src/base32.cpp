#include "kotp/base32.hpp"

#include <array>
#include <new>

namespace kotp {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// -1 for characters that are not Base32, -2 for characters people type as separators and
// that carry no data.
constexpr std::array<int, 256> make_table() {
    std::array<int, 256> t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 32; ++i) {
        const auto c = static_cast<unsigned char>(kAlphabet[i]);
        t[c] = i;
        if (c >= 'A' && c <= 'Z') t[static_cast<unsigned char>(c - 'A' + 'a')] = i;
    }
    t[' '] = t['\t'] = t['-'] = t['='] = -2;
    return t;
}

constexpr auto kTable = make_table();

}  // namespace

std::string base32_encode(std::span<const std::uint8_t> data) {
    std::string out;
    try {
        // Reserved up front: the output is usually a secret, and a reallocation would leave a
        // partial copy of it in freed memory.
        out.reserve((data.size() * 8 + 4) / 5);
        std::uint32_t buffer = 0;
        int bits = 0;
        for (const std::uint8_t byte : data) {
            buffer = (buffer << 8) | byte;
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                out.push_back(kAlphabet[(buffer >> bits) & 0x1f]);
            }
        }
        if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
    } catch (const std::bad_alloc&) {
        return {};
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> base32_decode(std::string_view text) {
    std::size_t symbols = 0;
    for (const char c : text) {
        const int v = kTable[static_cast<unsigned char>(c)];
        if (v == -1) return std::nullopt;
        if (v >= 0) ++symbols;
    }
    // 1, 3 or 6 symbols in the last group would hold fewer than 8 bits of a new byte: no encoder
    // writes that, so it is a typo, not a key.
    switch (symbols % 8) {
        case 0:
        case 2:
        case 4:
        case 5:
        case 7:
            break;
        default:
            return std::nullopt;
    }

    std::vector<std::uint8_t> out;
    try {
        out.reserve(symbols * 5 / 8);  // exact, so the secret is never copied by a reallocation
    } catch (const std::bad_alloc&) {
        return std::nullopt;
    }
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const int v = kTable[static_cast<unsigned char>(c)];
        if (v < 0) continue;
        buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(buffer >> bits));
        }
    }
    // Leftover bits (fewer than 8) are padding; ignored, as the authenticator apps do.
    return out;
}

}  // namespace kotp
