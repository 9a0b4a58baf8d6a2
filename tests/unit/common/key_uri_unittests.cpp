#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "kotp/key_uri.hpp"

namespace {

using kotp::KeyUri;
using kotp::make_key_uri;
using kotp::parse_key_uri;
using kotp::wire::Algorithm;
using kotp::wire::TokenType;

constexpr const char* kSecret = "JBSWY3DPEHPK3PXP";

void expect_same(const KeyUri& a, const KeyUri& b) {
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.issuer, b.issuer);
    EXPECT_EQ(a.account, b.account);
    EXPECT_EQ(a.secret, b.secret);
    EXPECT_EQ(a.algorithm, b.algorithm);
    EXPECT_EQ(a.digits, b.digits);
    if (a.type == TokenType::Totp) {
        EXPECT_EQ(a.period, b.period);
    } else {
        EXPECT_EQ(a.counter, b.counter);
    }
}

TEST(MakeKeyUri, DefaultTotp) {
    KeyUri key;
    key.issuer = "kotp";
    key.account = "alice";
    key.secret = kSecret;
    EXPECT_EQ(make_key_uri(key),
              "otpauth://totp/kotp:alice?secret=JBSWY3DPEHPK3PXP&issuer=kotp&algorithm=SHA1"
              "&digits=6&period=30");
}

TEST(MakeKeyUri, Hotp) {
    KeyUri key;
    key.type = TokenType::Hotp;
    key.issuer = "kotp";
    key.account = "bob";
    key.secret = kSecret;
    key.algorithm = Algorithm::Sha512;
    key.digits = 8;
    key.counter = 42;
    EXPECT_EQ(make_key_uri(key),
              "otpauth://hotp/kotp:bob?secret=JBSWY3DPEHPK3PXP&issuer=kotp&algorithm=SHA512"
              "&digits=8&counter=42");
}

TEST(MakeKeyUri, PercentEncodesIssuerAndAccount) {
    KeyUri key;
    key.issuer = "ACME Co: Lab";
    key.account = "alice@example.com";
    key.secret = kSecret;
    EXPECT_EQ(make_key_uri(key),
              "otpauth://totp/ACME%20Co%3A%20Lab:alice%40example.com?secret=JBSWY3DPEHPK3PXP"
              "&issuer=ACME%20Co%3A%20Lab&algorithm=SHA1&digits=6&period=30");
}

TEST(MakeKeyUri, UnreservedCharactersStay) {
    KeyUri key;
    key.issuer = "a-b.c_d~e";
    key.account = "x+y/z&q=1?";
    key.secret = kSecret;
    const auto uri = make_key_uri(key);
    EXPECT_NE(uri.find("/a-b.c_d~e:x%2By%2Fz%26q%3D1%3F?"), std::string::npos) << uri;
}

TEST(MakeKeyUri, NoIssuer) {
    KeyUri key;
    key.account = "alice";
    key.secret = kSecret;
    EXPECT_EQ(make_key_uri(key),
              "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30");
}

TEST(KeyUriRoundTrip, Totp) {
    KeyUri key;
    key.issuer = "ACME Co: Lab";
    key.account = "alice@example.com";
    key.secret = kSecret;
    key.algorithm = Algorithm::Sha256;
    key.digits = 8;
    key.period = 60;
    const auto parsed = parse_key_uri(make_key_uri(key));
    ASSERT_TRUE(parsed.has_value());
    expect_same(*parsed, key);
}

TEST(KeyUriRoundTrip, Hotp) {
    KeyUri key;
    key.type = TokenType::Hotp;
    key.issuer = "kotp";
    key.account = "bob";
    key.secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    key.algorithm = Algorithm::Sha512;
    key.digits = 7;
    key.counter = 18446744073709551615ULL;
    const auto parsed = parse_key_uri(make_key_uri(key));
    ASSERT_TRUE(parsed.has_value());
    expect_same(*parsed, key);
}

TEST(KeyUriRoundTrip, AwkwardNames) {
    for (const char* issuer : {"", "kotp", "a:b", "50% off", "ümlaut", "x+y", "a&b=c?d#e"}) {
        for (const char* account : {"alice", "a:b", "user name", "x@y.z", "%41", "+"}) {
            KeyUri key;
            key.issuer = issuer;
            key.account = account;
            key.secret = kSecret;
            const auto uri = make_key_uri(key);
            const auto parsed = parse_key_uri(uri);
            ASSERT_TRUE(parsed.has_value()) << uri;
            EXPECT_EQ(parsed->issuer, issuer) << uri;
            EXPECT_EQ(parsed->account, account) << uri;
        }
    }
}

TEST(ParseKeyUri, GoogleExample) {
    const auto key = parse_key_uri(
        "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->type, TokenType::Totp);
    EXPECT_EQ(key->issuer, "Example");
    EXPECT_EQ(key->account, "alice@google.com");
    EXPECT_EQ(key->secret, kSecret);
    EXPECT_EQ(key->algorithm, Algorithm::Sha1);
    EXPECT_EQ(key->digits, 6);
    EXPECT_EQ(key->period, 30U);
}

TEST(ParseKeyUri, EncodedSeparatingColon) {
    const auto key = parse_key_uri(
        "otpauth://totp/ACME%20Co%3Ajohn.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"
        "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->issuer, "ACME Co");
    EXPECT_EQ(key->account, "john.doe@email.com");
}

TEST(ParseKeyUri, SpacesAfterColon) {
    const auto key = parse_key_uri("otpauth://totp/Example:%20%20alice?secret=JBSWY3DPEHPK3PXP");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->issuer, "Example");
    EXPECT_EQ(key->account, "alice");
}

TEST(ParseKeyUri, IssuerOnlyInLabelOrOnlyInQuery) {
    auto key = parse_key_uri("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->issuer, "Example");
    key = parse_key_uri("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=Example");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->issuer, "Example");
    EXPECT_EQ(key->account, "alice");
    key = parse_key_uri("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->issuer, "");
}

TEST(ParseKeyUri, PlusIsSpaceInQueryOnly) {
    const auto key =
        parse_key_uri("otpauth://totp/My+Co:alice?secret=JBSWY3DPEHPK3PXP&issuer=My%2BCo");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->issuer, "My+Co");
    const auto spaced = parse_key_uri("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=My+Co");
    ASSERT_TRUE(spaced.has_value());
    EXPECT_EQ(spaced->issuer, "My Co");
}

TEST(ParseKeyUri, NormalisesSecret) {
    auto key = parse_key_uri("otpauth://totp/alice?secret=jbsw%20y3dp%20ehpk%203pxp");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->secret, kSecret);
    key = parse_key_uri("otpauth://totp/alice?secret=MZXW6===");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->secret, "MZXW6");
}

TEST(ParseKeyUri, CaseInsensitiveSchemeTypeAndAlgorithm) {
    const auto key = parse_key_uri(
        "OTPAUTH://TOTP/alice?secret=JBSWY3DPEHPK3PXP&algorithm=sha256&digits=8&period=45");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->algorithm, Algorithm::Sha256);
    EXPECT_EQ(key->digits, 8);
    EXPECT_EQ(key->period, 45U);
}

TEST(ParseKeyUri, IgnoresUnknownParametersAndFragment) {
    const auto key = parse_key_uri(
        "otpauth://totp/"
        "alice?secret=JBSWY3DPEHPK3PXP&image=https%3A%2F%2Fx%2Fy.png&&color=red#frag");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->secret, kSecret);
}

TEST(ParseKeyUri, HotpWithCounter) {
    const auto key = parse_key_uri(
        "otpauth://hotp/kotp:bob?secret=JBSWY3DPEHPK3PXP&issuer=kotp&counter=1234567890123");
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->type, TokenType::Hotp);
    EXPECT_EQ(key->counter, 1234567890123ULL);
    EXPECT_EQ(key->account, "bob");
}

TEST(ParseKeyUri, Rejects) {
    for (const char* uri : {
             "",
             "otpauth://",
             "http://totp/alice?secret=JBSWY3DPEHPK3PXP",
             "otpauth:/totp/alice?secret=JBSWY3DPEHPK3PXP",
             "otpauth://xotp/alice?secret=JBSWY3DPEHPK3PXP",
             "otpauth://totp?secret=JBSWY3DPEHPK3PXP",
             // missing, empty or invalid secret
             "otpauth://totp/alice",
             "otpauth://totp/alice?issuer=kotp",
             "otpauth://totp/alice?secret=",
             "otpauth://totp/alice?secret",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PX1",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXPA",
             "otpauth://totp/alice?secret=%3D%3D%3D",
             // digits
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=5",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=9",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=-6",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=six",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=6x",
             // period
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=0",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=-30",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=4294967296",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=%2B30",
             // algorithm
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=",
             // hotp needs a valid counter
             "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP",
             "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=-1",
             "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=18446744073709551616",
             // bad escapes
             "otpauth://totp/al%zzice?secret=JBSWY3DPEHPK3PXP",
             "otpauth://totp/alice%2?secret=JBSWY3DPEHPK3PXP",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=kotp%",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=%G0",
             "otpauth://totp/al%00ice?secret=JBSWY3DPEHPK3PXP",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=a%0Ab",
             // account
             "otpauth://totp/?secret=JBSWY3DPEHPK3PXP",
             "otpauth://totp/kotp:?secret=JBSWY3DPEHPK3PXP",
             // contradictions
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&secret=MZXW6YTB",
             "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=6&digits=8",
             "otpauth://totp/One:alice?secret=JBSWY3DPEHPK3PXP&issuer=Two",
         }) {
        EXPECT_FALSE(parse_key_uri(uri).has_value()) << uri;
    }
}

}  // namespace
