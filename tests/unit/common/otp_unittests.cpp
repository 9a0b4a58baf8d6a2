#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kotp/otp.hpp"

namespace {

using kotp::wire::Algorithm;
namespace otp = kotp::otp;

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

const std::vector<std::uint8_t> kSha1Key = bytes("12345678901234567890");
const std::vector<std::uint8_t> kSha256Key = bytes("12345678901234567890123456789012");
const std::vector<std::uint8_t> kSha512Key =
    bytes("1234567890123456789012345678901234567890123456789012345678901234");

// RFC 4226 Appendix D.
TEST(Hotp, Rfc4226AppendixD) {
    const std::array<const char*, 10> expected{"755224", "287082", "359152", "969429", "338314",
                                               "254676", "287922", "162583", "399871", "520489"};
    for (std::uint64_t counter = 0; counter < expected.size(); ++counter) {
        EXPECT_EQ(otp::hotp(kSha1Key, counter, Algorithm::Sha1, 6), expected[counter])
            << "counter " << counter;
    }
}

// The same truncated values (Appendix D, "Decimal" column) reduced to 7 and 8 digits.
TEST(Hotp, SevenAndEightDigits) {
    EXPECT_EQ(otp::hotp(kSha1Key, 0, Algorithm::Sha1, 7), "4755224");  // 1284755224
    EXPECT_EQ(otp::hotp(kSha1Key, 0, Algorithm::Sha1, 8), "84755224");
    EXPECT_EQ(otp::hotp(kSha1Key, 7, Algorithm::Sha1, 8), "82162583");  // 82162583
    EXPECT_EQ(otp::hotp(kSha1Key, 7, Algorithm::Sha1, 7), "2162583");
}

TEST(Hotp, ZeroPadsShortValues) {
    // Leading zeros are part of the code: "3784" would never match what the app shows.
    // (Values from HMAC-SHA1 of the RFC 4226 key, checked with Python's hmac module.)
    EXPECT_EQ(otp::hotp(kSha1Key, 30, Algorithm::Sha1, 6), "026920");           // 1204026920
    EXPECT_EQ(otp::hotp(kSha1Key, 36, Algorithm::Sha1, 6), "003784");           // 1164003784
    EXPECT_EQ(otp::hotp(kSha1Key, 0x23523EC, Algorithm::Sha1, 8), "07081804");  // RFC 6238
}

TEST(Hotp, RejectsDigitsOutOfRange) {
    for (const int digits : {-1, 0, 1, 5, 9, 10, 100}) {
        EXPECT_EQ(otp::hotp(kSha1Key, 0, Algorithm::Sha1, digits), "") << digits;
        EXPECT_EQ(otp::totp(kSha1Key, 59, 30, Algorithm::Sha1, digits), "") << digits;
    }
}

TEST(Hotp, RejectsUnknownAlgorithm) {
    EXPECT_EQ(otp::hotp(kSha1Key, 0, static_cast<Algorithm>(0), 6), "");
    EXPECT_EQ(otp::hotp(kSha1Key, 0, static_cast<Algorithm>(4), 6), "");
}

TEST(Hotp, EmptyKeyIsTheAllZeroKey) {
    // HMAC pads a short key with zero bytes, so an empty key and 20 zero bytes are the same key.
    const std::vector<std::uint8_t> zeros(20, 0);
    const auto code = otp::hotp({}, 1, Algorithm::Sha1, 6);
    EXPECT_EQ(code.size(), 6U);
    EXPECT_EQ(code, otp::hotp(zeros, 1, Algorithm::Sha1, 6));
}

TEST(Hotp, LongKeyIsHashedFirst) {
    // Longer than the SHA1 block: still a valid code, and a different one from its prefix.
    const std::vector<std::uint8_t> key(200, 0x5a);
    const auto code = otp::hotp(key, 0, Algorithm::Sha1, 6);
    ASSERT_EQ(code.size(), 6U);
    EXPECT_NE(code, otp::hotp(std::span(key).first(64), 0, Algorithm::Sha1, 6));
}

TEST(Hotp, OnlyDigits) {
    for (std::uint64_t counter :
         {std::uint64_t{0}, std::uint64_t{1} << 40, std::numeric_limits<std::uint64_t>::max()}) {
        for (const auto algorithm : {Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512}) {
            const auto code = otp::hotp(kSha1Key, counter, algorithm, 8);
            ASSERT_EQ(code.size(), 8U);
            EXPECT_EQ(code.find_first_not_of("0123456789"), std::string::npos) << code;
        }
    }
}

struct TotpRow {
    std::int64_t time;
    std::uint64_t step;
    const char* sha1;
    const char* sha256;
    const char* sha512;
};

// RFC 6238 Appendix B.
constexpr std::array<TotpRow, 6> kRfc6238{{
    {59, 0x0000000000000001, "94287082", "46119246", "90693936"},
    {1111111109, 0x00000000023523EC, "07081804", "68084774", "25091201"},
    {1111111111, 0x00000000023523ED, "14050471", "67062674", "99943326"},
    {1234567890, 0x000000000273EF07, "89005924", "91819424", "93441116"},
    {2000000000, 0x0000000003F940AA, "69279037", "90698825", "38618901"},
    {20000000000, 0x0000000027BC86AA, "65353130", "77737706", "47863826"},
}};

TEST(Totp, Rfc6238AppendixB) {
    for (const auto& row : kRfc6238) {
        SCOPED_TRACE(row.time);
        EXPECT_EQ(otp::totp(kSha1Key, row.time, 30, Algorithm::Sha1, 8), row.sha1);
        EXPECT_EQ(otp::totp(kSha256Key, row.time, 30, Algorithm::Sha256, 8), row.sha256);
        EXPECT_EQ(otp::totp(kSha512Key, row.time, 30, Algorithm::Sha512, 8), row.sha512);
    }
}

// One keyed Hotp gives every code of a window, in any order and repeatedly, exactly as a fresh
// key per code would (the re-initialisation from the kept key must not drift).
TEST(Hotp, OneKeyForManyCounters) {
    otp::Hotp sha1(kSha1Key, Algorithm::Sha1, 6);
    const std::array<const char*, 10> expected{"755224", "287082", "359152", "969429", "338314",
                                               "254676", "287922", "162583", "399871", "520489"};
    for (int pass = 0; pass < 2; ++pass)
        for (std::uint64_t counter = expected.size(); counter-- > 0;)
            EXPECT_EQ(sha1.code(counter), expected[counter]) << "counter " << counter;
    otp::Hotp sha256(kSha256Key, Algorithm::Sha256, 8);
    otp::Hotp sha512(kSha512Key, Algorithm::Sha512, 8);
    for (const auto& row : kRfc6238) {
        SCOPED_TRACE(row.time);
        EXPECT_EQ(sha256.code(row.step), row.sha256);
        EXPECT_EQ(sha512.code(row.step), row.sha512);
    }
}

TEST(Hotp, UnusableKeyGivesNoCode) {
    EXPECT_EQ(otp::Hotp(kSha1Key, Algorithm::Sha1, 5).code(0), "");
    EXPECT_EQ(otp::Hotp(kSha1Key, static_cast<Algorithm>(9), 6).code(0), "");
}

TEST(Totp, Rfc6238Steps) {
    for (const auto& row : kRfc6238) EXPECT_EQ(otp::totp_step(row.time, 30), row.step) << row.time;
}

TEST(Totp, IsHotpOfTheStep) {
    for (const auto& row : kRfc6238) {
        EXPECT_EQ(otp::totp(kSha1Key, row.time, 30, Algorithm::Sha1, 6),
                  otp::hotp(kSha1Key, row.step, Algorithm::Sha1, 6));
    }
}

TEST(TotpStep, Boundaries) {
    EXPECT_EQ(otp::totp_step(0, 30), 0U);
    EXPECT_EQ(otp::totp_step(29, 30), 0U);
    EXPECT_EQ(otp::totp_step(30, 30), 1U);
    EXPECT_EQ(otp::totp_step(60, 60), 1U);
    EXPECT_EQ(otp::totp_step(119, 60), 1U);
}

TEST(TotpStep, BeforeT0IsZero) {
    EXPECT_EQ(otp::totp_step(-1, 30), 0U);
    EXPECT_EQ(otp::totp_step(std::numeric_limits<std::int64_t>::min(), 30), 0U);
    EXPECT_EQ(otp::totp_step(99, 30, 100), 0U);
}

TEST(TotpStep, WithT0) {
    EXPECT_EQ(otp::totp_step(100, 30, 100), 0U);
    EXPECT_EQ(otp::totp_step(130, 30, 100), 1U);
    EXPECT_EQ(otp::totp_step(10, 30, -50), 2U);
}

TEST(TotpStep, NoOverflowAtTheExtremes) {
    constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    EXPECT_EQ(otp::totp_step(kMax, 1, kMin), std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(otp::totp_step(kMax, 30), static_cast<std::uint64_t>(kMax) / 30);
}

TEST(TotpStep, PeriodZeroIsHarmless) {
    EXPECT_EQ(otp::totp_step(1234567890, 0), 0U);
    EXPECT_EQ(otp::totp(kSha1Key, 1234567890, 0, Algorithm::Sha1, 6), "");
}

TEST(AlgorithmName, Names) {
    EXPECT_STREQ(otp::algorithm_name(Algorithm::Sha1), "SHA1");
    EXPECT_STREQ(otp::algorithm_name(Algorithm::Sha256), "SHA256");
    EXPECT_STREQ(otp::algorithm_name(Algorithm::Sha512), "SHA512");
    EXPECT_NE(otp::algorithm_name(static_cast<Algorithm>(0)), nullptr);
}

}  // namespace
