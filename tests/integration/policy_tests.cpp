// The cluster policies of otpd.conf through the real libpam: pamtester (under pam_wrapper, so
// /etc/pam.d is left alone) with -I rhost=..., as sshd would set PAM_RHOST. Each waiver must let
// the login through without a prompt and be logged with its KS000x code and reason.
#include <ctime>
#include <thread>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class PolicyTest : public OtpdFixture {
protected:
    // pamtester USER authenticate from RHOST ("" = console), answering with `input` (or nothing).
    RunResult pamtester(const std::string& user, const std::string& rhost, const std::string& input = {}) {
        RunOptions options;
        options.stdin_text = input;
        options.env = {"LD_PRELOAD=libpam_wrapper.so", "PAM_WRAPPER=1", "PAM_WRAPPER_SERVICE_DIR=" + pam_dir};
        std::vector<std::string> argv = {"pamtester"};
        if (!rhost.empty()) argv.insert(argv.end(), {"-I", "rhost=" + rhost});
        argv.insert(argv.end(), {"kotp-test", user, "authenticate"});
        return run(argv, options);
    }
    static bool succeeded(const RunResult& r) {
        return r.exit_code == 0 && (r.out + r.err).find("successfully authenticated") != std::string::npos;
    }
    static bool asked_for_code(const RunResult& r) {
        return (r.out + r.err).find("Verification code") != std::string::npos;
    }
    std::string log() const { return read_file(log_path); }
    // A local date N days from today, as an admin types it.
    static std::string date_in_days(int days) {
        const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
        std::tm tm{};
        localtime_r(&t, &tm);
        char buf[16];
        std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
        return buf;
    }
};

TEST_F(PolicyTest, ExemptNetworkNeedsNoCodeOtherNetworksDo) {
    restart_with("exempt_networks = 10.0.0.0/8, 2001:db8::/32\n");
    const auto secret = enroll("alice");

    const auto inside = pamtester("alice", "10.1.2.3");
    EXPECT_TRUE(succeeded(inside)) << inside.out << inside.err;
    EXPECT_FALSE(asked_for_code(inside)) << inside.out;

    const auto outside = pamtester("alice", "192.0.2.7", totp(secret) + "\n");
    EXPECT_TRUE(succeeded(outside)) << outside.out << outside.err;
    EXPECT_TRUE(asked_for_code(outside)) << outside.out;

    EXPECT_TRUE(succeeded(pamtester("alice", "2001:db8::7")));
    EXPECT_TRUE(asked_for_code(pamtester("alice", "")));  // the console is never exempt by network

    EXPECT_THAT(log(), HasSubstr("KS0001 login accepted user=\"alice\" service=\"kotp-test\" rhost=\"10.1.2.3\""));
    EXPECT_THAT(log(), HasSubstr("(exempt network 10.0.0.0/8)"));
    EXPECT_THAT(log(), HasSubstr("KS0000 login accepted user=\"alice\" service=\"kotp-test\" rhost=\"192.0.2.7\""));
}

TEST_F(PolicyTest, ExemptGroupMemberNeedsNoCodeOthersDo) {
    // Debian's system accounts: daemon's primary group is daemon; bin is not in it.
    restart_with("exempt_groups = kotp-no-such-group, daemon\n");
    enroll("daemon");
    const auto bin_secret = enroll("bin");
    const auto member = pamtester("daemon", "192.0.2.7");
    EXPECT_TRUE(succeeded(member)) << member.out << member.err;
    EXPECT_FALSE(asked_for_code(member));
    const auto other = pamtester("bin", "192.0.2.7", totp(bin_secret) + "\n");
    EXPECT_TRUE(asked_for_code(other));
    EXPECT_TRUE(succeeded(other)) << other.out << other.err;
    EXPECT_THAT(log(), HasSubstr("(exempt group daemon)"));
}

TEST_F(PolicyTest, ExemptUserUntilADateThenAskedAgain) {
    const auto secret = enroll("alice");
    // A date in the past is refused outright: nothing to exempt.
    const auto past = admin({"exempt", "alice", "--until", date_in_days(-1)});
    EXPECT_EQ(past.exit_code, 1);
    EXPECT_THAT(past.err, HasSubstr("is not in the future"));

    ASSERT_EQ(admin({"exempt", "alice", "--until", date_in_days(1), "--reason", "phone lost"}).exit_code, 0);
    const auto exempt = pamtester("alice", "192.0.2.7");
    EXPECT_TRUE(succeeded(exempt)) << exempt.out << exempt.err;
    EXPECT_FALSE(asked_for_code(exempt));
    EXPECT_THAT(log(), HasSubstr(": phone lost)"));
    EXPECT_THAT(admin({"show", "alice"}).out, HasSubstr("Exempt:      no code asked until"));

    // An exemption that has run out (2 s from now, then waited for): a code is asked again.
    const auto soon = "@" + std::to_string(std::time(nullptr) + 2);
    ASSERT_EQ(admin({"exempt", "alice", "--until", soon}).exit_code, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const auto after = pamtester("alice", "192.0.2.7", totp(secret) + "\n");
    EXPECT_TRUE(asked_for_code(after)) << after.out;
    EXPECT_TRUE(succeeded(after)) << after.out << after.err;

    ASSERT_EQ(admin({"exempt", "svc-transfer", "--until", date_in_days(30)}).exit_code, 0);
    EXPECT_TRUE(succeeded(pamtester("svc-transfer", "192.0.2.7")));  // not enrolled at all
    ASSERT_EQ(admin({"unexempt", "svc-transfer"}).exit_code, 0);
    EXPECT_FALSE(succeeded(pamtester("svc-transfer", "192.0.2.7")));
    EXPECT_EQ(admin({"unexempt", "svc-transfer"}).exit_code, 5);
}

TEST_F(PolicyTest, AdminSuspensionBeatsAnExemptNetworkALockoutDoesNot) {
    restart_with("exempt_networks = 10.0.0.0/8\n");
    const auto secret = enroll("alice");
    const auto code = totp(secret);
    std::string wrong = code;
    wrong[0] = static_cast<char>('0' + (code[0] - '0' + 5) % 10);
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(succeeded(pamtester("alice", "192.0.2.7", wrong + "\n")));
    EXPECT_THAT(admin({"show", "alice"}).out, HasSubstr("suspended"));  // locked out
    EXPECT_TRUE(succeeded(pamtester("alice", "10.1.2.3")));                 // still in from inside
    ASSERT_EQ(admin({"suspend", "alice", "--reason", "left the project"}).exit_code, 0);
    EXPECT_FALSE(succeeded(pamtester("alice", "10.1.2.3")));
}

TEST_F(PolicyTest, GracePeriodForTheSameHostOnly) {
    restart_with("grace_period = 60s\n");
    const auto secret = enroll("alice");
    ASSERT_TRUE(succeeded(pamtester("alice", "192.0.2.10", totp(secret) + "\n")));
    const auto again = pamtester("alice", "192.0.2.10");
    EXPECT_TRUE(succeeded(again)) << again.out << again.err;
    EXPECT_FALSE(asked_for_code(again));
    const auto other_host = pamtester("alice", "192.0.2.11");
    EXPECT_TRUE(asked_for_code(other_host));
    EXPECT_FALSE(succeeded(other_host));
    EXPECT_THAT(log(), HasSubstr("KS0002 login accepted user=\"alice\" service=\"kotp-test\" rhost=\"192.0.2.10\""));
}

TEST_F(PolicyTest, UnenrolledAllowedDuringTheRolloutRefusedAfter) {
    restart_with("unenrolled = allow\nunenrolled_allow_until = " + date_in_days(7) + "\n");
    const auto during = pamtester("bob", "192.0.2.7");
    EXPECT_TRUE(succeeded(during)) << during.out << during.err;
    EXPECT_THAT(during.out + during.err, HasSubstr("Logins without one are allowed until"));
    EXPECT_THAT(during.out + during.err, HasSubstr("kotp enroll"));
    EXPECT_THAT(log(), HasSubstr("KS0003 login accepted user=\"bob\""));

    restart_with("unenrolled = allow\nunenrolled_allow_until = " + date_in_days(-1) + "\n");
    const auto after = pamtester("bob", "192.0.2.7");
    EXPECT_FALSE(succeeded(after));
    EXPECT_THAT(after.out + after.err, HasSubstr("Logins without a one-time-password token ended on"));
    EXPECT_THAT(log(), HasSubstr("KS1001 login refused user=\"bob\""));
}

TEST_F(PolicyTest, UnenrolledDenyRefusesEvenWithAnActivationCode) {
    ASSERT_EQ(admin({"issue", "carol"}).exit_code, 0);
    const auto offered = pamtester("carol", "192.0.2.7");  // unenrolled = enroll, the default
    EXPECT_THAT(offered.out + offered.err, HasSubstr("Type the activation code"));
    restart_with("unenrolled = deny\n");
    const auto denied = pamtester("carol", "192.0.2.7");
    EXPECT_FALSE(succeeded(denied));
    EXPECT_THAT(denied.out + denied.err, Not(HasSubstr("Type the activation code")));
    EXPECT_THAT(denied.out + denied.err, HasSubstr("KS1001"));
}

}  // namespace
}  // namespace kotp::integration
