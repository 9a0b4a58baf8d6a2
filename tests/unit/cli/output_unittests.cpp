#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <sstream>

#include "output.hpp"

namespace {

using namespace kotp::admin;
using kotp::wire::Algorithm;
using kotp::wire::TokenState;
using kotp::wire::TokenType;
using kotp::wire::UserState;

constexpr std::int64_t k2026_11_21_0900Z = 1795251600;

// Local times are checked in UTC and in a zone with an offset, then the zone is put back.
class LocalTime : public ::testing::Test {
  protected:
    void SetUp() override {
        if (const char* tz = std::getenv("TZ")) {
            saved_ = tz;
            had_tz_ = true;
        }
    }
    void TearDown() override {
        if (had_tz_) {
            ::setenv("TZ", saved_.c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    static void use_zone(const char* tz) {
        ::setenv("TZ", tz, 1);
        ::tzset();
    }

  private:
    std::string saved_;
    bool had_tz_ = false;
};

TEST_F(LocalTime, FormatsMinutesInTheLocalZone) {
    use_zone("UTC");
    EXPECT_EQ(format_local_time(k2026_11_21_0900Z), "2026-11-21 09:00");
    EXPECT_EQ(format_local_time(k2026_11_21_0900Z + 59), "2026-11-21 09:00");
    use_zone("CET-1");
    EXPECT_EQ(format_local_time(k2026_11_21_0900Z), "2026-11-21 10:00");
}

TEST_F(LocalTime, ZeroIsNever) {
    use_zone("UTC");
    EXPECT_EQ(format_local_time(0), "never");
}

TEST_F(LocalTime, JsonTimesAreUtcWhateverTheZone) {
    use_zone("CET-1");
    EXPECT_EQ(json_time(k2026_11_21_0900Z), "2026-11-21T09:00:00Z");
    EXPECT_TRUE(json_time(0).is_null());
    EXPECT_EQ(json_time(1), "1970-01-01T00:00:01Z");
}

TEST(JsonTime, AYearOutOfRangeDoesNotCrash) {
    EXPECT_EQ(json_time(INT64_MAX), "@" + std::to_string(INT64_MAX));
}

TEST(GroupKeyString, GroupsOfFourSeparatedBySpaces) {
    EXPECT_EQ(group_key_string("JBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP");
    EXPECT_EQ(group_key_string("JBSWY3DPEHPK3PXPJB"), "JBSW Y3DP EHPK 3PXP JB");
    EXPECT_EQ(group_key_string("ABC"), "ABC");
    EXPECT_EQ(group_key_string("ABCD"), "ABCD");
    EXPECT_EQ(group_key_string(""), "");
}

TEST(Printable, ReplacesControlCharacters) {
    EXPECT_EQ(printable("phone"), "phone");
    EXPECT_EQ(printable("a\x1b[31mb\n\x7f"), "a?[31mb??");
    EXPECT_EQ(printable("t\xc3\xa9l\xc3\xa9phone"), "t\xc3\xa9l\xc3\xa9phone") << "UTF-8 stays";
    EXPECT_EQ(printable("a\x9b" "31mb\xff\xc2\x9b"), "a?31mb??") << "8-bit CSI, malformed bytes, C1 in UTF-8";
}

TEST(EnumNames, AreTheOnesOfTheCommandLine) {
    EXPECT_STREQ(to_string(TokenType::Totp), "totp");
    EXPECT_STREQ(to_string(TokenType::Hotp), "hotp");
    EXPECT_STREQ(to_string(Algorithm::Sha1), "sha1");
    EXPECT_STREQ(to_string(Algorithm::Sha256), "sha256");
    EXPECT_STREQ(to_string(Algorithm::Sha512), "sha512");
    EXPECT_STREQ(to_string(TokenState::Pending), "pending");
    EXPECT_STREQ(to_string(TokenState::Active), "active");
    EXPECT_STREQ(to_string(TokenState::Revoked), "revoked");
    EXPECT_STREQ(to_string(UserState::Active), "active");
    EXPECT_STREQ(to_string(UserState::Suspended), "suspended");
}

kotp::wire::UserInfo suspended_alice() {
    kotp::wire::UserInfo info;
    info.user = "alice";
    info.state = UserState::Suspended;
    info.failures = 5;
    info.reason = "too many failed codes";
    info.suspended_at = k2026_11_21_0900Z;
    info.created = k2026_11_21_0900Z - 86400;
    kotp::wire::TokenInfo phone;
    phone.id = 7;
    phone.label = "phone";
    phone.state = TokenState::Active;
    phone.created = info.created;
    phone.last_used = k2026_11_21_0900Z - 3600;
    kotp::wire::TokenInfo spare;
    spare.id = 9;
    spare.type = TokenType::Hotp;
    spare.algorithm = Algorithm::Sha512;
    spare.digits = 8;
    spare.created = info.created;
    info.tokens = {phone, spare};
    return info;
}

TEST(UserInfoJson, HasEveryField) {
    const nlohmann::json j = user_info_json(suspended_alice());
    EXPECT_EQ(j["user"], "alice");
    EXPECT_EQ(j["state"], "suspended");
    EXPECT_EQ(j["failures"], 5);
    EXPECT_EQ(j["reason"], "too many failed codes");
    EXPECT_EQ(j["suspended_at"], "2026-11-21T09:00:00Z");
    EXPECT_TRUE(j["last_login"].is_null());
    EXPECT_EQ(j["created"], "2026-11-20T09:00:00Z");
    ASSERT_EQ(j["tokens"].size(), 2U);
    const auto& phone = j["tokens"][0];
    EXPECT_EQ(phone["id"], 7);
    EXPECT_EQ(phone["label"], "phone");
    EXPECT_EQ(phone["type"], "totp");
    EXPECT_EQ(phone["algorithm"], "sha1");
    EXPECT_EQ(phone["digits"], 6);
    EXPECT_EQ(phone["period"], 30);
    EXPECT_EQ(phone["state"], "active");
    EXPECT_EQ(phone["last_used"], "2026-11-21T08:00:00Z");
    const auto& spare = j["tokens"][1];
    EXPECT_EQ(spare["type"], "hotp");
    EXPECT_EQ(spare["algorithm"], "sha512");
    EXPECT_EQ(spare["digits"], 8);
    EXPECT_TRUE(spare["period"].is_null()) << "HOTP has no period";
    EXPECT_EQ(spare["state"], "pending");
    EXPECT_TRUE(spare["last_used"].is_null());
}

TEST(UserInfoJson, ActiveUserHasNoReason) {
    kotp::wire::UserInfo info;
    info.user = "bob";
    const nlohmann::json j = user_info_json(info);
    EXPECT_EQ(j["state"], "active");
    EXPECT_TRUE(j["reason"].is_null());
    EXPECT_TRUE(j["suspended_at"].is_null());
    EXPECT_TRUE(j["tokens"].is_array());
    EXPECT_TRUE(j["tokens"].empty());
}

TEST_F(LocalTime, UserInfoForPeople) {
    use_zone("UTC");
    std::ostringstream out;
    print_user_info(out, suspended_alice());
    const std::string text = out.str();
    EXPECT_NE(text.find("User:        alice\n"), std::string::npos) << text;
    EXPECT_NE(
        text.find(
            "State:       suspended since 2026-11-21 09:00 (reason: too many failed codes)\n"),
        std::string::npos)
        << text;
    EXPECT_NE(text.find("Failures:    5\n"), std::string::npos) << text;
    EXPECT_NE(text.find("Last login:  never\n"), std::string::npos) << text;
    EXPECT_NE(
        text.find(
            "  ID  LABEL  TYPE  ALGORITHM  DIGITS  PERIOD  STATE    CREATED           LAST-USED\n"),
        std::string::npos)
        << text;
    EXPECT_NE(text.find("  7   phone  totp  sha1       6       30s     active   2026-11-20 09:00  "
                        "2026-11-21 08:00\n"),
              std::string::npos)
        << text;
    EXPECT_NE(
        text.find(
            "  9   -      hotp  sha512     8       -       pending  2026-11-20 09:00  never\n"),
        std::string::npos)
        << text;
}

TEST_F(LocalTime, UserTableForPeople) {
    use_zone("UTC");
    std::vector<kotp::wire::UserSummary> users(2);
    users[0].user = "alice";
    users[0].state = UserState::Suspended;
    users[0].failures = 5;
    users[0].tokens = 1;
    users[0].last_login = k2026_11_21_0900Z;
    users[1].user = "christopher";
    std::ostringstream out;
    print_user_table(out, users);
    EXPECT_EQ(out.str(),
              "USER         STATE      FAILURES  TOKENS  LAST-LOGIN\n"
              "alice        suspended  5         1       2026-11-21 09:00\n"
              "christopher  active     0         0       never\n");
}

TEST(UserTable, SaysSoWhenEmpty) {
    std::ostringstream out;
    print_user_table(out, {});
    EXPECT_EQ(out.str(), "No users.\n");
}

TEST(UserListJson, UsersWithUtcTimesOrNull) {
    std::vector<kotp::wire::UserSummary> users(1);
    users[0].user = "alice";
    users[0].last_login = k2026_11_21_0900Z;
    const nlohmann::json j = user_list_json(users);
    EXPECT_EQ(j, nlohmann::json::parse(R"({"users":[{"user":"alice","state":"active","failures":0,
        "tokens":0,"last_login":"2026-11-21T09:00:00Z"}]})"));
    EXPECT_EQ(user_list_json({}), nlohmann::json::parse(R"({"users":[]})"));
}

TEST(EnrolledOutput, JsonAndPeople) {
    kotp::wire::AdminEnroll request;
    request.user = "alice";
    request.algorithm = Algorithm::Sha256;
    request.digits = 8;
    request.period = 60;
    kotp::wire::Enrolled reply;
    reply.user = "alice";
    reply.token_id = 12;
    reply.label = "phone";
    reply.secret = "JBSWY3DPEHPK3PXP";
    reply.uri = "otpauth://totp/kotp:alice?secret=JBSWY3DPEHPK3PXP";
    const EnrolmentView view{request, reply};

    const nlohmann::json j = enrolled_json(view);
    EXPECT_EQ(j["user"], "alice");
    EXPECT_EQ(j["token_id"], 12);
    EXPECT_EQ(j["label"], "phone");
    EXPECT_EQ(j["secret"], "JBSWY3DPEHPK3PXP");
    EXPECT_EQ(j["uri"], reply.uri);
    EXPECT_EQ(j["type"], "totp");
    EXPECT_EQ(j["algorithm"], "sha256");
    EXPECT_EQ(j["digits"], 8);
    EXPECT_EQ(j["period"], 60);
    EXPECT_EQ(j["state"], "pending");

    std::ostringstream out;
    print_enrolled(out, view);
    EXPECT_EQ(out.str(),
              "Key string: JBSW Y3DP EHPK 3PXP\n"
              "URI: otpauth://totp/kotp:alice?secret=JBSWY3DPEHPK3PXP\n"
              "Token 12 (phone) stays pending until alice's first code from it is accepted.\n");
}

TEST(DoneAndErrorJson, Shapes) {
    EXPECT_EQ(done_json("alice", "alice unlocked"),
              nlohmann::json::parse(R"({"ok":true,"user":"alice","message":"alice unlocked"})"));
    EXPECT_EQ(error_json("KS1009", "no such user"),
              nlohmann::json::parse(R"({"error":{"code":"KS1009","message":"no such user"}})"));
}

}  // namespace
