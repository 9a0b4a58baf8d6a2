// kotp, the user's CLI, run as an ordinary user (nobody) against a live otpd: it only ever acts
// for the caller.
#include <regex>
#include <thread>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr uid_t kNobody = 65534;

class UserCliTest : public OtpdFixture {
protected:
    RunOptions as_nobody() const {
        RunOptions options;
        options.uid = kNobody;
        options.gid = kNobody;
        return options;
    }
    std::vector<std::string> kotp(const std::vector<std::string>& args) const {
        std::vector<std::string> argv = {program(KOTP_PATH), "--socket", socket_path};
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    }
    static std::string secret_in(const std::string& text) {
        std::smatch m;
        return std::regex_search(text, m, std::regex("secret=([A-Z2-7]+)")) ? m[1].str() : std::string();
    }
    // kotp enroll as nobody, answered like a person; returns the new token's secret.
    std::string enroll_nobody_interactively() {
        const auto activation = json_field(admin_json({"issue", "nobody"}), "code");
        Interactive session(kotp({"enroll"}), as_nobody());
        EXPECT_TRUE(session.expect("Activation code: ")) << session.output();
        session.send_line(activation);
        EXPECT_TRUE(session.expect("Verification code from your app: ")) << session.output();
        const auto secret = secret_in(session.output());
        EXPECT_FALSE(secret.empty()) << session.output();
        session.send_line(totp(secret));
        EXPECT_EQ(session.wait(), 0) << session.output();
        EXPECT_THAT(session.output(), HasSubstr("is now active"));
        EXPECT_THAT(session.output(), HasSubstr("recovery codes"));
        return secret;
    }
};

TEST_F(UserCliTest, HelpDescribesTheCommands) {
    const auto r = run(kotp({"--help"}));
    EXPECT_EQ(r.exit_code, 0);
    for (const char* command : {"status", "enroll", "recovery"}) EXPECT_THAT(r.out, HasSubstr(command));
}

TEST_F(UserCliTest, EnrolWithAnActivationCodeInTheTerminal) {
    enroll_nobody_interactively();
    const auto show = admin_json({"show", "nobody"});
    EXPECT_THAT(show, HasSubstr("\"active\""));
    EXPECT_EQ(json_field(show, "recovery_left"), "10");
}

TEST_F(UserCliTest, StatusShowsOnlyTheCallersOwnRecord) {
    enroll("alice", {"--label", "alices-phone"});
    enroll_nobody_interactively();
    const auto r = run(kotp({"--json", "status"}), as_nobody());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json_field(r.out, "user"), "nobody");
    EXPECT_THAT(r.out, Not(HasSubstr("alice")));
    const auto human = run(kotp({"status"}), as_nobody());
    EXPECT_THAT(human.out, HasSubstr("nobody"));
    EXPECT_THAT(human.out, Not(HasSubstr("alice")));
}

TEST_F(UserCliTest, StatusOfAnUnenrolledCallerIsAClearError) {
    const auto r = run(kotp({"status"}), as_nobody());
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.err, HasSubstr("KS1001"));
}

TEST_F(UserCliTest, NewRecoveryCodesNeedACurrentCode) {
    const auto secret = enroll_nobody_interactively();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    Interactive session(kotp({"recovery"}), as_nobody());
    ASSERT_TRUE(session.expect("Current verification code: ")) << session.output();
    // The code just used for enrolment is refused as a replay; wait for the next step if needed.
    session.send_line(totp(secret, {"--totp", "-N", "now + 30 seconds"}));
    EXPECT_EQ(session.wait(), 0) << session.output();
    const std::regex code("[a-z2-7]{5}-[a-z2-7]{5}");
    const auto& out = session.output();
    EXPECT_EQ(std::distance(std::sregex_iterator(out.begin(), out.end(), code), std::sregex_iterator()), 10) << out;
}

TEST_F(UserCliTest, ReplaceTheTokenWithANewDevice) {
    const auto old_secret = enroll_nobody_interactively();
    Interactive session(kotp({"enroll", "--replace"}), as_nobody());
    ASSERT_TRUE(session.expect("Current verification code: ")) << session.output();
    session.send_line(totp(old_secret, {"--totp", "-N", "now + 30 seconds"}));
    ASSERT_TRUE(session.expect("Verification code from your app: ")) << session.output();
    const auto new_secret = secret_in(session.output());
    ASSERT_FALSE(new_secret.empty());
    session.send_line(totp(new_secret));
    EXPECT_EQ(session.wait(), 0) << session.output();
    EXPECT_THAT(session.output(), HasSubstr("previous token(s) no longer work"));
    // The old device's codes are refused, the new device's accepted.
    EXPECT_EQ(login("nobody", {totp(old_secret, {"--totp", "-N", "now + 60 seconds"})}).exit_code, 1);
    EXPECT_EQ(login("nobody", {totp(new_secret, {"--totp", "-N", "now + 30 seconds"})}).exit_code, 0);
}

}  // namespace
}  // namespace kotp::integration
