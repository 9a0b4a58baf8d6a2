// First-login enrolment through the real PAM stack, answered like a person: read the URI from the
// PAM text, compute the code with oathtool, type it.
#include <regex>
#include <thread>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;

class FirstLoginTest : public OtpdFixture {
protected:
    RunOptions pam_wrapper() const {
        RunOptions options;
        options.env = {"LD_PRELOAD=libpam_wrapper.so", "PAM_WRAPPER=1", "PAM_WRAPPER_SERVICE_DIR=" + pam_dir};
        return options;
    }
};

TEST_F(FirstLoginTest, ActivationCodeThenQrThenFirstCodeWithPamtester) {
    const auto issued = admin_json({"issue", "alice"});
    const auto activation = json_field(issued, "code");
    ASSERT_EQ(activation.size(), 6u) << issued;
    EXPECT_FALSE(json_field(issued, "expires").empty());

    Interactive pamtester({"pamtester", "kotp-test", "alice", "authenticate"}, pam_wrapper());
    ASSERT_TRUE(pamtester.expect("Activation code: ")) << pamtester.output();
    pamtester.send_line(activation);
    ASSERT_TRUE(pamtester.expect("Verification code from your app: ")) << pamtester.output();
    std::smatch m;
    const std::string shown = pamtester.output();
    ASSERT_TRUE(std::regex_search(shown, m, std::regex("otpauth://totp/kotp:alice\\?secret=([A-Z2-7]+)"))) << shown;
    EXPECT_THAT(shown, HasSubstr("Key string: "));
    EXPECT_THAT(shown, HasSubstr("\u2588"));
    pamtester.send_line(totp(m[1].str()));
    EXPECT_EQ(pamtester.wait(), 0) << pamtester.output();
    EXPECT_THAT(pamtester.output(), HasSubstr("successfully authenticated"));
    EXPECT_THAT(pamtester.output(), HasSubstr("recovery codes"));

    const auto show = admin_json({"show", "alice"});
    EXPECT_THAT(show, HasSubstr("\"active\"")) << show;
    EXPECT_EQ(json_field(show, "recovery_left"), "10") << show;
}

TEST_F(FirstLoginTest, NoTokenAndNoActivationCodeIsNotEnrolled) {
    const auto r = login("bob", {"123456"});
    EXPECT_THAT(r.out, HasSubstr("KS1001"));
}

TEST_F(FirstLoginTest, ExpiredActivationCodeIsRefusedSayingSo) {
    const auto activation = json_field(admin_json({"issue", "alice", "--valid", "2s"}), "code");
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const auto r = login("alice", {activation});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("KS1002"));
    EXPECT_THAT(r.out, HasSubstr("expired"));
}

TEST_F(FirstLoginTest, FiveWrongActivationCodesSuspend) {
    const auto activation = json_field(admin_json({"issue", "alice"}), "code");
    const std::string wrong = activation == "000000" ? "111111" : "000000";
    for (int i = 0; i < 4; ++i) EXPECT_THAT(login("alice", {wrong}).out, HasSubstr("KS1002"));
    EXPECT_THAT(login("alice", {wrong}).out, HasSubstr("KS1005"));
    EXPECT_THAT(login("alice", {activation}).out, HasSubstr("KS1005"));
}

TEST_F(FirstLoginTest, HotpCountersZeroThenFiveThenThreeRefused) {
    const auto secret = enroll("hw", {"--type", "hotp"});
    const auto hotp = [&](int counter) { return totp(secret, {"--hotp", "-c", std::to_string(counter)}); };
    EXPECT_EQ(login("hw", {hotp(0)}).exit_code, 0);
    EXPECT_EQ(login("hw", {hotp(5)}).exit_code, 0);
    const auto r = login("hw", {hotp(3)});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("KS1004"));
}

TEST_F(FirstLoginTest, ResetRevokesTheTokenAndIssuesANewActivationCode) {
    const auto secret = enroll("alice");
    ASSERT_EQ(login("alice", {totp(secret)}).exit_code, 0);
    const auto reset = admin_json({"reset", "alice"});
    EXPECT_EQ(json_field(reset, "code").size(), 6u) << reset;
    const auto r = login("alice", {totp(secret)});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("PROMPT: Activation code: "));  // no token left: enrolment again
}

TEST_F(FirstLoginTest, RecoveryCodeLogsInOnceThenIsRefused) {
    enroll("alice");
    const auto json = admin_json({"recovery", "alice"});
    const std::regex code("\"([a-z2-7]{5}-[a-z2-7]{5})\"");
    std::vector<std::string> codes;
    for (auto it = std::sregex_iterator(json.begin(), json.end(), code); it != std::sregex_iterator(); ++it)
        codes.push_back((*it)[1].str());
    ASSERT_EQ(codes.size(), 10u) << json;
    auto r = login("alice", {codes[0]});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_THAT(r.out, HasSubstr("recovery code"));
    r = login("alice", {codes[0]});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("KS1003"));
    EXPECT_EQ(json_field(admin_json({"show", "alice"}), "recovery_left"), "9");
    EXPECT_THAT(read_file(log_path), HasSubstr("recovery code used, 9 left"));
}

TEST_F(FirstLoginTest, ResyncFollowsADeviceWhoseClockIsTenMinutesFast) {
    const auto secret = enroll("alice");
    const auto ahead = [&](int seconds) {
        return totp(secret, {"--totp", "-N", "now + " + std::to_string(seconds) + " seconds"});
    };
    EXPECT_EQ(login("alice", {ahead(600)}).exit_code, 1);  // beyond the window
    const auto r = admin({"resync", "alice", ahead(630), ahead(660)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("drift"));
    EXPECT_EQ(login("alice", {ahead(690)}).exit_code, 0);
}

}  // namespace
}  // namespace kotp::integration
