#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kotp/base32.hpp"

namespace {

using kotp::base32_decode;
using kotp::base32_encode;

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

struct Vector {
    const char* plain;
    const char* unpadded;
    const char* padded;
};

// RFC 4648 section 10.
constexpr std::array<Vector, 7> kRfc4648{{
    {"", "", ""},
    {"f", "MY", "MY======"},
    {"fo", "MZXQ", "MZXQ===="},
    {"foo", "MZXW6", "MZXW6==="},
    {"foob", "MZXW6YQ", "MZXW6YQ="},
    {"fooba", "MZXW6YTB", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI", "MZXW6YTBOI======"},
}};

std::string lower(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

TEST(Base32Encode, Rfc4648WithoutPadding) {
    for (const auto& v : kRfc4648) EXPECT_EQ(base32_encode(bytes(v.plain)), v.unpadded) << v.plain;
}

TEST(Base32Decode, Rfc4648Padded) {
    for (const auto& v : kRfc4648) EXPECT_EQ(base32_decode(v.padded), bytes(v.plain)) << v.padded;
}

TEST(Base32Decode, Rfc4648Unpadded) {
    for (const auto& v : kRfc4648)
        EXPECT_EQ(base32_decode(v.unpadded), bytes(v.plain)) << v.unpadded;
}

TEST(Base32Decode, LowerCase) {
    for (const auto& v : kRfc4648) {
        EXPECT_EQ(base32_decode(lower(v.padded)), bytes(v.plain)) << v.padded;
        EXPECT_EQ(base32_decode(lower(v.unpadded)), bytes(v.plain)) << v.unpadded;
    }
    EXPECT_EQ(base32_decode("mZxW6yTbOi"), bytes("foobar"));
}

TEST(Base32Decode, IgnoresSeparators) {
    // Key strings are shown in groups of four and people copy them with spaces or hyphens.
    EXPECT_EQ(base32_decode("MZXW 6YTB OI"), bytes("foobar"));
    EXPECT_EQ(base32_decode("mzxw 6ytb oi== ===="), bytes("foobar"));
    EXPECT_EQ(base32_decode("MZXW-6YTB-OI"), bytes("foobar"));
    EXPECT_EQ(base32_decode("\tMZXW6YTBOI "), bytes("foobar"));
    EXPECT_EQ(base32_decode("  "), std::vector<std::uint8_t>{});
    EXPECT_EQ(base32_decode("========"), std::vector<std::uint8_t>{});
}

TEST(Base32Decode, RejectsInvalidCharacters) {
    for (const char* text : {"MZXW6YT1", "MZXW6YT8", "MZXW6YT0", "MZXW6YT!", "1",
                             "MY9=====", "MZ.XW", "MZ_XW6", "MZ\nXW", "MZXW6+/="}) {
        EXPECT_FALSE(base32_decode(text).has_value()) << text;
    }
}

TEST(Base32Decode, RejectsNonAsciiAndNul) {
    EXPECT_FALSE(base32_decode("MZXW\xc3\xa9").has_value());
    EXPECT_FALSE(base32_decode(std::string_view("MY\0\0", 4)).has_value());
}

TEST(Base32Decode, RejectsImpossibleLengths) {
    // 1, 3 or 6 symbols in the last group of 8 cannot come from an encoder.
    for (const char* text : {"M", "MZX", "MZXW6Y", "MZXW6YTBO", "MZXW6YTBOIA", "MZXW6YTBOI6YTB",
                             "M=======", "MZX=====", "MZXW6Y==", "M Z X"}) {
        EXPECT_FALSE(base32_decode(text).has_value()) << text;
    }
}

TEST(Base32, RoundTripsEveryByteAndLength) {
    std::vector<std::uint8_t> data;
    for (int i = 0; i < 300; ++i) {
        const auto encoded = base32_encode(data);
        EXPECT_EQ(encoded.size(), (data.size() * 8 + 4) / 5);
        const auto decoded = base32_decode(encoded);
        ASSERT_TRUE(decoded.has_value()) << encoded;
        EXPECT_EQ(*decoded, data);
        data.push_back(static_cast<std::uint8_t>(i * 37 + 11));
    }
}

TEST(Base32, TypicalSecret) {
    const std::vector<std::uint8_t> key{0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe, 0xef};
    EXPECT_EQ(base32_encode(key), "JBSWY3DPEHPK3PXP");
    EXPECT_EQ(base32_decode("JBSWY3DPEHPK3PXP"), key);
}

}  // namespace
