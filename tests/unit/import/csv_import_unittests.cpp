// CSV import: user,secret[,type,algorithm,digits,period].
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "import_formats.hpp"
#include "import_test_helpers.hpp"
#include "kotp/base32.hpp"
#include "process.hpp"

namespace {

using namespace kotp::import_test;
using kotp::admin::parse_csv;
using kotp::wire::Algorithm;
using kotp::wire::TokenType;

// RFC 4226/6238 test keys: "12345678901234567890" and its 32-byte SHA-256 sibling.
constexpr const char* kKey20Base32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
constexpr const char* kKey20Hex = "3132333435363738393031323334353637383930";
constexpr const char* kKey32Hex = "3132333435363738393031323334353637383930313233343536373839303132";

TEST(CsvImport, SampleWithHeaderCommentsCrlfAndEveryOption) {
    const std::string text =
        "# exported from the old RADIUS server\r\n"
        "User,Secret,Type,Algorithm,Digits,Period\r\n"
        "\r\n"
        "alice,JBSWY3DPEHPK3PXP JBSWY3DPEHPK3PXP\r\n"
        "  bob , gezd gnbv gy3t qojq gezd gnbv gy3t qojq , TOTP , SHA256 , 8 , 60 \r\n"
        "carol,hex:" + std::string(kKey32Hex) + ",totp,sha512,8,30\r\n"
        "dave," + kKey20Hex + ",hotp,,,\r\n"
        "   # an indented comment\n"
        "erin,0X" + kKey20Hex + ",,sha1,6\n"
        "frank,MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOU======\n"
        "grace,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,hotp,sha1,8";  // no newline at the end

    const auto r = parse_csv(text, "users.csv");
    EXPECT_TRUE(r.errors.empty()) << ::testing::PrintToString(error_lines(r));
    ASSERT_EQ(users(r), (std::vector<std::string>{"alice", "bob", "carol", "dave", "erin", "frank", "grace"}));

    const auto& alice = r.entries[0];
    EXPECT_EQ(alice.origin, "users.csv:4");
    EXPECT_EQ(alice.type, TokenType::Totp);
    EXPECT_EQ(alice.algorithm, Algorithm::Sha1);
    EXPECT_EQ(alice.digits, 6U);
    EXPECT_EQ(alice.period, 30U);
    EXPECT_EQ(alice.counter, 0U);
    EXPECT_TRUE(alice.recovery_codes.empty());
    EXPECT_EQ(alice.secret.size(), 20U);
    EXPECT_EQ(kotp_code(alice), oathtool_code(alice, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", true));

    const auto& bob = r.entries[1];
    EXPECT_EQ(bob.origin, "users.csv:5");
    EXPECT_EQ(bob.secret, bytes("12345678901234567890"));
    EXPECT_EQ(bob.algorithm, Algorithm::Sha256);
    EXPECT_EQ(bob.digits, 8U);
    EXPECT_EQ(bob.period, 60U);
    EXPECT_EQ(kotp_code(bob), oathtool_code(bob, kKey20Base32, true));

    const auto& carol = r.entries[2];
    EXPECT_EQ(carol.secret, bytes("12345678901234567890123456789012"));
    EXPECT_EQ(carol.algorithm, Algorithm::Sha512);
    EXPECT_EQ(carol.digits, 8U);
    EXPECT_EQ(kotp_code(carol), oathtool_code(carol, kKey32Hex, false));

    const auto& dave = r.entries[3];  // hex without prefix: it holds 0, 1, 8 and 9
    EXPECT_EQ(dave.type, TokenType::Hotp);
    EXPECT_EQ(dave.secret, bytes("12345678901234567890"));
    EXPECT_EQ(dave.counter, 0U);
    EXPECT_EQ(kotp_code(dave), "755224");  // RFC 4226 Appendix D, counter 0
    for (std::uint64_t offset : {0U, 1U, 9U})
        EXPECT_EQ(kotp_code(dave, offset), oathtool_code(dave, kKey20Hex, false, offset)) << offset;

    const auto& erin = r.entries[4];
    EXPECT_EQ(erin.origin, "users.csv:9");
    EXPECT_EQ(erin.secret, bytes("12345678901234567890"));
    EXPECT_EQ(erin.digits, 6U);

    const auto& frank = r.entries[5];  // padded Base32
    EXPECT_EQ(frank.secret, bytes("abcdefghijklmnopqrstu"));
    EXPECT_EQ(kotp_code(frank), oathtool_code(frank, "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOU======", true));

    const auto& grace = r.entries[6];
    EXPECT_EQ(grace.origin, "users.csv:11");
    EXPECT_EQ(grace.type, TokenType::Hotp);
    EXPECT_EQ(grace.digits, 8U);
    EXPECT_EQ(kotp_code(grace, 3), oathtool_code(grace, kKey20Base32, true, 3));
}

TEST(CsvImport, HexOnlyWhenPrefixedOrHoldingADigitBase32DoesNotUse) {
    // 2-7 and a-f only: valid Base32 too, so it is Base32 unless it says "hex:".
    const std::string ambiguous = "2a3b4c5d6e7f2a3b4c5d";
    const auto r = parse_csv("u1," + ambiguous + "\nu2,hex:" + ambiguous + "\nu3,HEX:" + ambiguous +
                                 "\nu4,0x" + ambiguous + "\nu5,3a3b4c5d6e7f2a3b4c5d\n",
                             "f.csv");
    ASSERT_TRUE(r.errors.empty()) << ::testing::PrintToString(error_lines(r));
    ASSERT_EQ(r.entries.size(), 5U);
    EXPECT_EQ(r.entries[0].secret, *kotp::base32_decode(ambiguous));
    EXPECT_EQ(r.entries[0].secret.size(), 12U);
    EXPECT_EQ(kotp_code(r.entries[0]), oathtool_code(r.entries[0], "2A3B4C5D6E7F2A3B4C5D", true));
    const std::vector<std::uint8_t> ambiguous_as_hex{0x2a, 0x3b, 0x4c, 0x5d, 0x6e, 0x7f, 0x2a, 0x3b, 0x4c, 0x5d};
    for (std::size_t i = 1; i <= 3; ++i) {
        EXPECT_EQ(r.entries[i].secret, ambiguous_as_hex) << r.entries[i].user;
        EXPECT_EQ(kotp_code(r.entries[i]), oathtool_code(r.entries[i], ambiguous, false));
    }
    // Starting with a digit changes nothing: 2-7 are Base32 digits.
    EXPECT_EQ(r.entries[4].secret, *kotp::base32_decode("3a3b4c5d6e7f2a3b4c5d"));

    // One 0, 1, 8 or 9 makes it hex.
    for (const char* secret : {"0a3b4c5d6e7f2a3b4c5d", "2a3b4c5d6e7f2a3b4c51", "2a3b4c5d6e7f2a3b4c58",
                               "9a3b4c5d6e7f2a3b4c5d"}) {
        const auto h = parse_csv(std::string("x,") + secret, "f.csv");
        ASSERT_EQ(h.entries.size(), 1U) << secret;
        EXPECT_EQ(h.entries[0].secret, hex_bytes(secret)) << secret;
    }
}

TEST(CsvImport, BadLinesAreReportedWithFileAndLineAndSkipped) {
    const std::string text =
        "user,secret\n"                                      // 1 header
        "good1," + std::string(kKey20Base32) + "\n"          // 2
        "-bad," + kKey20Base32 + "\n"                        // 3
        "bad user," + kKey20Base32 + "\n"                    // 4
        "," + kKey20Base32 + "\n"                            // 5
        "nosecret\n"                                         // 6
        "emptysecret,\n"                                     // 7
        "wrongtype," + kKey20Base32 + ",motp\n"              // 8
        "wrongalg," + kKey20Base32 + ",totp,md5\n"           // 9
        "wrongdigits," + kKey20Base32 + ",totp,sha1,7\n"     // 10
        "wrongperiod," + kKey20Base32 + ",totp,sha1,6,45\n"  // 11
        "toomany," + kKey20Base32 + ",totp,sha1,6,30,x\n"    // 12
        "notbase32,JBSWY3DPEHPK3PX!\n"                       // 13
        "badlength,JBSWY3DPEHPK3PXPJ\n"                      // 14
        "oddhex,0x313233343536373839303\n"                   // 15
        "badhex,hex:3132333435363738393g\n"                  // 16
        "esc\x1b[31m," + kKey20Base32 + "\n"                 // 17
        "good2," + kKey20Hex + "\n";                         // 18
    const auto r = parse_csv(text, "in.csv");
    EXPECT_EQ(users(r), (std::vector<std::string>{"good1", "good2"}));
    const std::string names = " (1-256 characters of A-Z a-z 0-9 . _ @ $ -, not starting with '-')";
    const std::vector<std::string> expected{
        "in.csv:3: invalid user name \"-bad\"" + names,
        "in.csv:4: invalid user name \"bad user\"" + names,
        "in.csv:5: missing user name (expected user,secret[,type,algorithm,digits,period])",
        "in.csv:6: missing secret (expected user,secret[,type,algorithm,digits,period])",
        "in.csv:7: missing secret (expected user,secret[,type,algorithm,digits,period])",
        "in.csv:8: type \"motp\" is not totp or hotp",
        "in.csv:9: algorithm \"md5\" is not sha1, sha256 or sha512",
        "in.csv:10: digits \"7\" is not 6 or 8",
        "in.csv:11: period \"45\" is not 30 or 60",
        "in.csv:12: more than 6 fields (expected user,secret[,type,algorithm,digits,period])",
        "in.csv:13: secret is neither valid Base32 (A-Z, 2-7) nor hex (pairs of 0-9, a-f)",
        "in.csv:14: secret is neither valid Base32 (A-Z, 2-7) nor hex (pairs of 0-9, a-f)",
        "in.csv:15: secret is not valid hex (pairs of 0-9, a-f)",
        "in.csv:16: secret is not valid hex (pairs of 0-9, a-f)",
        "in.csv:17: invalid user name \"esc\\x1b[31m\"" + names,
    };
    EXPECT_EQ(error_lines(r), expected);
    // No message quotes a secret.
    for (const auto& e : r.errors) {
        EXPECT_EQ(e.message.find("JBSWY3DP"), std::string::npos) << e.message;
        EXPECT_EQ(e.message.find("313233"), std::string::npos) << e.message;
    }
}

TEST(CsvImport, DuplicateUserNamesBothLinesAndKeepsTheFirst) {
    const auto r = parse_csv(std::string("alice,") + kKey20Base32 + "\n" + "bob," + kKey20Hex + "\n" +
                                 "# alice again\n" + "alice,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n",
                             "d.csv");
    EXPECT_EQ(users(r), (std::vector<std::string>{"alice", "bob"}));
    EXPECT_EQ(r.entries[0].secret, bytes("12345678901234567890"));
    EXPECT_EQ(error_lines(r),
              (std::vector<std::string>{"d.csv:4: user \"alice\" again (first on line 1); only line 1 is imported"}));
}

TEST(CsvImport, SecretLengthLimits) {
    const auto zeros = [](std::size_t n) { return "hex:" + std::string(2 * n, '0'); };
    const auto r = parse_csv("b9," + zeros(9) + "\nb10," + zeros(10) + "\nb64," + zeros(64) + "\nb65," +
                                 zeros(65) + "\nb32_9,AAAAAAAAAAAAAAA=\nb32_10,AAAAAAAAAAAAAAAA\n",
                             "len.csv");
    EXPECT_EQ(users(r), (std::vector<std::string>{"b10", "b64", "b32_10"}));
    EXPECT_EQ(r.entries[0].secret.size(), 10U);
    EXPECT_EQ(r.entries[1].secret.size(), 64U);
    EXPECT_EQ(r.entries[2].secret.size(), 10U);
    EXPECT_EQ(error_lines(r),
              (std::vector<std::string>{"len.csv:1: secret is 9 bytes; at least 10 (80 bits) are needed",
                                        "len.csv:4: secret is 65 bytes; at most 64 are accepted",
                                        "len.csv:5: secret is 9 bytes; at least 10 (80 bits) are needed"}));
}

TEST(CsvImport, HeaderOnlyOnTheFirstContentLine) {
    // A user really called "user" with a real secret on the first line is data, not a header.
    const auto data = parse_csv(std::string("# c\n\nuser,") + kKey20Base32 + "\n", "h.csv");
    EXPECT_TRUE(data.errors.empty());
    EXPECT_EQ(users(data), (std::vector<std::string>{"user"}));
    // "USER,key" is a header; a second header line later is an error.
    const auto later = parse_csv(std::string("USER,key\nalice,") + kKey20Base32 + "\nuser,secret\n", "h.csv");
    EXPECT_EQ(users(later), (std::vector<std::string>{"alice"}));
    EXPECT_EQ(error_lines(later),
              (std::vector<std::string>{
                  "h.csv:3: secret is neither valid Base32 (A-Z, 2-7) nor hex (pairs of 0-9, a-f)"}));
    // A header alone, or nothing at all: no entries, no errors.
    EXPECT_TRUE(parse_csv("user,secret,type,algorithm,digits,period\n", "h.csv").errors.empty());
    const auto empty = parse_csv("", "h.csv");
    EXPECT_TRUE(empty.entries.empty());
    EXPECT_TRUE(empty.errors.empty());
}

TEST(CsvImport, ByteOrderMarkOfSpreadsheets) {
    const auto r = parse_csv(std::string("\xEF\xBB\xBFuser,secret\r\nalice,") + kKey20Base32 + "\r\n", "x.csv");
    EXPECT_TRUE(r.errors.empty()) << ::testing::PrintToString(error_lines(r));
    EXPECT_EQ(users(r), std::vector<std::string>{"alice"});
    EXPECT_EQ(r.entries[0].origin, "x.csv:2");
}

TEST(CsvImport, UserNamesFollowOtpd) {
    const std::string long_name(256, 'a');
    const auto r = parse_csv("Alice.Smith," + std::string(kKey20Base32) + "\nhost$," + kKey20Base32 +
                                 "\nj@realm," + kKey20Base32 + "\n_svc-1," + kKey20Base32 + "\n" + long_name +
                                 "," + kKey20Base32 + "\n" + long_name + "b," + kKey20Base32 + "\nal/ice," +
                                 kKey20Base32 + "\n",
                             "n.csv");
    EXPECT_EQ(users(r), (std::vector<std::string>{"Alice.Smith", "host$", "j@realm", "_svc-1", long_name}));
    ASSERT_EQ(r.errors.size(), 2U);
    EXPECT_EQ(r.errors[0].origin, "n.csv:6");
    EXPECT_EQ(r.errors[1].origin, "n.csv:7");
}

TEST(CsvImport, HundredThousandUsers) {
    // What a large site migrates: 100,000 lines, parsed in memory. Only the count is asserted;
    // the time is printed for the record.
    std::string text = "user,secret,type,algorithm,digits,period\n";
    text.reserve(100'000 * 60);
    for (int i = 0; i < 100'000; ++i) {
        char line[96];
        std::snprintf(line, sizeof line, "user%06d,%s,totp,sha1,6,30\n", i, kKey20Base32);
        text += line;
    }
    const auto start = std::chrono::steady_clock::now();
    const auto r = parse_csv(text, "big.csv");
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::printf("parse_csv: 100000 lines (%zu bytes) in %lld ms\n", text.size(),
                static_cast<long long>(elapsed.count()));
    EXPECT_TRUE(r.errors.empty());
    ASSERT_EQ(r.entries.size(), 100'000U);
    EXPECT_EQ(r.entries.back().user, "user099999");
    EXPECT_EQ(r.entries.back().origin, "big.csv:100001");

    // The same through a file, as kotp-admin import reads it.
    kotp::test::TempDir dir;
    kotp::test::write_file(dir.file("big.csv"), text);
    const auto file_start = std::chrono::steady_clock::now();
    const auto from_file = kotp::admin::read_import_file(kotp::admin::ImportFormat::Csv, dir.file("big.csv"));
    const auto file_elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - file_start);
    std::printf("read_import_file: 100000 lines in %lld ms\n", static_cast<long long>(file_elapsed.count()));
    EXPECT_EQ(from_file.entries.size(), 100'000U);
}

}  // namespace
