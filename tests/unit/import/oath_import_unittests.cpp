// pam_oath usersfile: TYPE USER PIN SECRET [COUNTER [LASTOTP [TIME]]]. Codes are checked against
// oathtool, and the counter semantics against liboath itself (the library pam_oath uses, loaded
// with dlopen: package liboath0, which oathtool depends on).
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <vector>

#include "import_formats.hpp"
#include "import_test_helpers.hpp"
#include "process.hpp"

namespace {

using namespace kotp::import_test;
using kotp::admin::parse_oath_usersfile;
using kotp::wire::Algorithm;
using kotp::wire::TokenType;

constexpr const char* kKeyHex = "3132333435363738393031323334353637383930";  // "12345678901234567890"
constexpr const char* kKey2Hex = "00112233445566778899AABBCCDDEEFF00112233";

TEST(OathImport, Sample) {
    const std::string text = std::string("# /etc/users.oath\n") +
                             "HOTP\talice\t-\t" + kKeyHex + "\n" +          // 2
                             "HOTP/E/8 bob - " + kKeyHex + " 5\n" +          // 3
                             "HOTP/T30/8 carol - " + kKey2Hex + "\n" +        // 4
                             "\n" +                                           // 5
                             "HOTP/T60 dave   -   " + kKey2Hex + "\r\n" +     // 6
                             "HOTP/E erin - " + kKeyHex + " 41 755224 2026-01-01T00:00:00L\n" +  // 7
                             "HOTP/T30 frank - " + kKey2Hex + " 7 123456 2026-01-01T00:00:00L\n" +  // 8
                             "HOTP/E/6 gina - " + kKeyHex + " 9\n" +          // 9
                             "HOTP/T60/6 hank - " + kKeyHex;                  // 10
    const auto r = parse_oath_usersfile(text, "users.oath");
    EXPECT_TRUE(r.errors.empty()) << ::testing::PrintToString(error_lines(r));
    ASSERT_EQ(users(r),
              (std::vector<std::string>{"alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank"}));
    for (const auto& e : r.entries) {
        EXPECT_EQ(e.algorithm, Algorithm::Sha1);
        EXPECT_TRUE(e.recovery_codes.empty());
    }

    const auto& alice = r.entries[0];
    EXPECT_EQ(alice.origin, "users.oath:2");
    EXPECT_EQ(alice.type, TokenType::Hotp);
    EXPECT_EQ(alice.digits, 6U);
    EXPECT_EQ(alice.counter, 0U);
    EXPECT_EQ(alice.secret, bytes("12345678901234567890"));
    EXPECT_EQ(kotp_code(alice), "755224");
    EXPECT_EQ(kotp_code(alice, 2), oathtool_code(alice, kKeyHex, false, 2));

    const auto& bob = r.entries[1];
    EXPECT_EQ(bob.type, TokenType::Hotp);
    EXPECT_EQ(bob.digits, 8U);
    EXPECT_EQ(bob.counter, 5U);  // no LASTOTP: counter 5 was never used
    EXPECT_EQ(kotp_code(bob), oathtool_code(bob, kKeyHex, false));

    const auto& carol = r.entries[2];
    EXPECT_EQ(carol.type, TokenType::Totp);
    EXPECT_EQ(carol.digits, 8U);
    EXPECT_EQ(carol.period, 30U);
    EXPECT_EQ(carol.secret, hex_bytes(kKey2Hex));
    EXPECT_EQ(kotp_code(carol), oathtool_code(carol, kKey2Hex, false));

    const auto& dave = r.entries[3];
    EXPECT_EQ(dave.origin, "users.oath:6");
    EXPECT_EQ(dave.type, TokenType::Totp);
    EXPECT_EQ(dave.digits, 6U);
    EXPECT_EQ(dave.period, 60U);
    EXPECT_EQ(kotp_code(dave), oathtool_code(dave, kKey2Hex, false));

    const auto& erin = r.entries[4];
    EXPECT_EQ(erin.type, TokenType::Hotp);
    EXPECT_EQ(erin.counter, 42U);  // LASTOTP present: liboath accepted counter 41
    EXPECT_EQ(kotp_code(erin), oathtool_code(erin, kKeyHex, false));

    const auto& frank = r.entries[5];
    EXPECT_EQ(frank.type, TokenType::Totp);
    EXPECT_EQ(frank.counter, 0U);  // ignored for TOTP
    EXPECT_EQ(kotp_code(frank), oathtool_code(frank, kKey2Hex, false));

    EXPECT_EQ(r.entries[6].counter, 9U);
    EXPECT_EQ(r.entries[6].digits, 6U);
    EXPECT_EQ(r.entries[7].type, TokenType::Totp);
    EXPECT_EQ(r.entries[7].period, 60U);
    EXPECT_EQ(r.entries[7].digits, 6U);
}

TEST(OathImport, PinsAreRefusedWithoutShowingThem) {
    const std::string text = std::string("HOTP/T30/8 alice s3cretPIN ") + kKeyHex + "\n" +
                             "HOTP bob + " + kKeyHex + "\n" + "HOTP carol - " + kKeyHex + "\n";
    const auto r = parse_oath_usersfile(text, "u.oath");
    EXPECT_EQ(users(r), std::vector<std::string>{"carol"});
    EXPECT_EQ(error_lines(r),
              (std::vector<std::string>{
                  "u.oath:1: PINs are not supported; this line has one: write \"-\" and keep the password "
                  "check in the PAM stack",
                  "u.oath:2: PINs are not supported; \"+\" (password checked by another module) cannot be "
                  "imported: write \"-\" and keep the password check in the PAM stack"}));
    for (const auto& e : r.errors) EXPECT_EQ(e.message.find("s3cretPIN"), std::string::npos);
}

TEST(OathImport, BadLines) {
    const std::string k = kKeyHex;
    const std::string text = "TOTP a1 - " + k + "\n" +             // 1
                             "hotp a2 - " + k + "\n" +             // 2 (liboath is case-sensitive)
                             "HOTP/T45 a3 - " + k + "\n" +         // 3
                             "HOTP/E/7 a4 - " + k + "\n" +         // 4
                             "HOTP/T30/7 a5 - " + k + "\n" +       // 5
                             "HOTP a6 -\n" +                       // 6
                             "HOTP -a7 - " + k + "\n" +            // 7
                             "HOTP a8 - 31323g\n" +                // 8
                             "HOTP a9 - 313233343536373839\n" +    // 9
                             "HOTP a10 - 3132333435363738393\n" +  // 10
                             "HOTP a11 - " + k + " 12x\n" +        // 11
                             "HOTP a12 - " + k + " 1 2 3 4\n" +    // 12
                             "  # comment\n" +                     // 13
                             "HOTP ok - " + k + "\n" +             // 14
                             "HOTP/T30 ok - " + k + "\n" +         // 15
                             "HOTP a16 - JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n" +  // 16: not hex
                             "HOTP a17 - " + k + " 18446744073709551615 123456\n";  // 17
    const auto r = parse_oath_usersfile(text, "u.oath");
    EXPECT_EQ(users(r), std::vector<std::string>{"ok"});
    const std::string types = " (expected HOTP, HOTP/E, HOTP/E/8, HOTP/T30, HOTP/T60, HOTP/T30/8 ...)";
    EXPECT_EQ(error_lines(r),
              (std::vector<std::string>{
                  "u.oath:1: unknown token type \"TOTP\"" + types,
                  "u.oath:2: unknown token type \"hotp\"" + types,
                  "u.oath:3: unknown token type \"HOTP/T45\"" + types,
                  "u.oath:4: 7-digit codes (HOTP/E/7) are not supported: kotp takes 6 or 8",
                  "u.oath:5: 7-digit codes (HOTP/T30/7) are not supported: kotp takes 6 or 8",
                  "u.oath:6: missing fields (expected TYPE USER PIN SECRET [COUNTER [LASTOTP [TIME]]])",
                  "u.oath:7: invalid user name \"-a7\" (1-256 characters of A-Z a-z 0-9 . _ @ $ -, not starting "
                  "with '-')",
                  "u.oath:8: secret is not valid hex (pairs of 0-9, a-f)",
                  "u.oath:9: secret is 9 bytes; at least 10 (80 bits) are needed",
                  "u.oath:10: secret is not valid hex (pairs of 0-9, a-f)",
                  "u.oath:11: counter \"12x\" is not a number",
                  "u.oath:12: more than 7 fields (expected TYPE USER PIN SECRET [COUNTER [LASTOTP [TIME]]])",
                  "u.oath:15: user \"ok\" again (first on line 14); only line 14 is imported",
                  "u.oath:16: secret is not valid hex (pairs of 0-9, a-f)",
                  "u.oath:17: counter \"18446744073709551615\" is too large",
              }));
}

// liboath's own usersfile code, through dlopen. Skips the test when the library is missing.
class Liboath {
public:
    Liboath() {
        handle_ = ::dlopen("liboath.so.0", RTLD_NOW | RTLD_LOCAL);
        if (handle_ == nullptr) return;
        init_ = reinterpret_cast<InitFn>(::dlsym(handle_, "oath_init"));
        authenticate_ = reinterpret_cast<AuthFn>(::dlsym(handle_, "oath_authenticate_usersfile"));
        if (init_ == nullptr || authenticate_ == nullptr || init_() != 0) authenticate_ = nullptr;
    }
    ~Liboath() {
        if (handle_ != nullptr) ::dlclose(handle_);
    }
    Liboath(const Liboath&) = delete;
    Liboath& operator=(const Liboath&) = delete;
    bool ok() const { return authenticate_ != nullptr; }
    // OATH_OK (0) when liboath accepts `code` for `user` (window: codes after the stored counter);
    // it then rewrites the file as pam_oath would.
    int authenticate(const std::string& file, const std::string& user, const std::string& code,
                     std::size_t window) const {
        std::time_t last = 0;
        return authenticate_(file.c_str(), user.c_str(), code.c_str(), window, nullptr, &last);
    }

private:
    using InitFn = int (*)();
    using AuthFn = int (*)(const char*, const char*, const char*, std::size_t, const char*, std::time_t*);
    void* handle_ = nullptr;
    InitFn init_ = nullptr;
    AuthFn authenticate_ = nullptr;
};

TEST(OathImport, CounterMeansWhatLiboathMeans) {
    const Liboath oath;
    if (!oath.ok()) GTEST_SKIP() << "liboath.so.0 not found (apt-get install liboath0)";
    kotp::test::TempDir dir;
    const std::string file = dir.file("users.oath");
    kotp::test::write_file(file, std::string("HOTP alice - ") + kKeyHex + "\nHOTP/E/8 bob - " + kKeyHex + " 7\n");

    // A fresh line: COUNTER is the next counter liboath accepts.
    auto before = parse_oath_usersfile(kotp::test::read_file(file), file);
    ASSERT_EQ(before.entries.size(), 2U);
    EXPECT_EQ(before.entries[1].counter, 7U);
    const ImportEntry bob = before.entries[1];
    EXPECT_NE(oath.authenticate(file, "bob", kotp::otp::hotp(bob.secret, 6, Algorithm::Sha1, 8), 0), 0);
    EXPECT_EQ(oath.authenticate(file, "bob", kotp_code(bob), 0), 0);  // counter 7, no look-ahead

    // alice logs in with the code of counter 3; liboath writes back COUNTER 3 and LASTOTP.
    const ImportEntry alice = before.entries[0];
    EXPECT_EQ(alice.counter, 0U);
    EXPECT_EQ(oath.authenticate(file, "alice", kotp_code(alice, 3), 10), 0);
    const std::string after_text = kotp::test::read_file(file);
    EXPECT_NE(after_text.find("HOTP\talice\t-\t" + std::string(kKeyHex) + "\t3\t" + kotp_code(alice, 3) + "\t"),
              std::string::npos)
        << after_text;

    // Imported now, alice's next counter is 4, and bob's 8: what liboath accepts next.
    const auto after = parse_oath_usersfile(after_text, file);
    EXPECT_TRUE(after.errors.empty()) << ::testing::PrintToString(error_lines(after));
    ASSERT_EQ(after.entries.size(), 2U);
    EXPECT_EQ(after.entries[0].counter, 4U);
    EXPECT_EQ(after.entries[1].counter, 8U);
    // liboath searches from the stored (used) counter, so window 1 covers stored and stored + 1;
    // the stored one is refused as a replay of LASTOTP.
    EXPECT_NE(oath.authenticate(file, "alice", kotp_code(alice, 3), 10), 0);
    EXPECT_EQ(oath.authenticate(file, "alice", kotp_code(after.entries[0]), 1), 0);
    EXPECT_EQ(oath.authenticate(file, "bob", kotp_code(after.entries[1]), 1), 0);
}

}  // namespace
