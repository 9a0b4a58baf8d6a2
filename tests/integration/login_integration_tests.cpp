// Real logins: otpd in a temp folder, pam_kotp.so loaded by the real libpam, codes from oathtool.
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <future>
#include <thread>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr uid_t kNobody = 65534;

// A code that is not the right one (first digit shifted by 5).
std::string wrong_code(std::string code) {
    code[0] = static_cast<char>('0' + (code[0] - '0' + 5) % 10);
    return code;
}

class LoginTest : public OtpdFixture {};

TEST_F(LoginTest, RightCodeLogsIn) {
    const auto secret = enroll("alice");
    const auto r = login("alice", {totp(secret)});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_THAT(r.out, HasSubstr("PROMPT: Verification code: "));
    EXPECT_THAT(r.out, HasSubstr("RESULT: Success"));
}

TEST_F(LoginTest, SameCodeAgainIsRefusedAsAlreadyUsed) {
    const auto secret = enroll("alice");
    const auto code = totp(secret);
    ASSERT_EQ(login("alice", {code}).exit_code, 0);
    const auto r = login("alice", {code});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("KS1004"));
    EXPECT_THAT(r.out, HasSubstr("already been used"));
    EXPECT_THAT(r.out, HasSubstr("Authentication failure"));
}

TEST_F(LoginTest, Sha256EightDigitsSixtySeconds) {
    const auto secret = enroll("carol", {"--algorithm", "sha256", "--digits", "8", "--period", "60"});
    const auto code = totp(secret, {"--totp=sha256", "-d", "8", "-s", "60"});
    ASSERT_EQ(code.size(), 8u);
    const auto r = login("carol", {code});
    EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST_F(LoginTest, Sha512Token) {
    const auto secret = enroll("dave", {"--algorithm", "sha512"});
    EXPECT_EQ(login("dave", {totp(secret, {"--totp=sha512"})}).exit_code, 0);
}

TEST_F(LoginTest, FiveWrongCodesSuspendUntilUnlock) {
    const auto secret = enroll("alice");
    for (int i = 1; i <= 4; ++i) {
        const auto r = login("alice", {wrong_code(totp(secret))});
        EXPECT_EQ(r.exit_code, 1);
        EXPECT_THAT(r.out, HasSubstr("KS1003"));
        EXPECT_THAT(r.out, HasSubstr(std::to_string(5 - i) + (i == 4 ? " attempt left" : " attempts left")));
    }
    auto r = login("alice", {wrong_code(totp(secret))});
    EXPECT_THAT(r.out, HasSubstr("KS1005"));
    EXPECT_THAT(r.out, HasSubstr("suspended after 5 failed attempts"));

    r = login("alice", {totp(secret)});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("KS1005"));
    EXPECT_THAT(r.out, Not(HasSubstr("PROMPT:")));  // refused without asking for a code

    const auto show = admin_json({"show", "alice"});
    EXPECT_EQ(json_field(show, "state"), "suspended") << show;
    EXPECT_EQ(json_field(show, "failures"), "5") << show;

    const auto unlock = admin({"unlock", "alice"});
    EXPECT_EQ(unlock.exit_code, 0) << unlock.err;
    r = login("alice", {totp(secret)});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(json_field(admin_json({"show", "alice"}), "state"), "active");
}

TEST_F(LoginTest, UnknownUserIsRefused) {
    const auto r = login("nosuchuser", {"123456"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("KS1001"));
    EXPECT_THAT(r.out, Not(HasSubstr("PROMPT:")));
}

TEST_F(LoginTest, LoginIsRefusedQuicklyWhenOtpdIsKilled) {
    enroll("alice");
    stop_otpd(SIGKILL);
    const auto r = login("alice", {"123456"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.out, HasSubstr("KC2001"));
    EXPECT_THAT(r.out, HasSubstr("unavailable"));
    EXPECT_THAT(r.out, HasSubstr("Authentication service cannot retrieve authentication info"));
    EXPECT_LT(r.elapsed.count(), 7000);
}

TEST_F(LoginTest, TwentyParallelLoginsWithOneCodeGiveExactlyOneSuccess) {
    const auto secret = enroll("alice");
    const auto code = totp(secret);
    std::vector<std::future<RunResult>> attempts;
    for (int i = 0; i < 20; ++i)
        attempts.push_back(std::async(std::launch::async, [&] { return login("alice", {code}); }));
    const auto tally = tally_logins(attempts);
    EXPECT_EQ(tally.successes, 1);
    EXPECT_EQ(tally.already_used, 19);
    EXPECT_EQ(json_field(admin_json({"show", "alice"}), "failures"), "0");
}

TEST_F(LoginTest, NonRootCannotVerifyForAnotherUser) {
    const auto secret = enroll("alice");
    RunOptions as_nobody;
    as_nobody.uid = kNobody;
    as_nobody.gid = kNobody;
    const auto r = login("alice", {totp(secret)}, as_nobody);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("KS1008"));
    EXPECT_THAT(read_file(log_path), HasSubstr("KS1008 login check for user=\"alice\" refused for uid=65534"));
    // The refused attempt consumed nothing: the same code still works for root's caller.
    EXPECT_EQ(login("alice", {totp(secret)}).exit_code, 0);
}

TEST_F(LoginTest, NoSecretIsStoredInTheClearAndTheKeyFileIs0600) {
    const auto secret = enroll("alice");
    ASSERT_EQ(login("alice", {totp(secret)}).exit_code, 0);
    const auto raw = run({"sh", "-c", "printf %s " + secret + " | base32 -d 2>/dev/null | od -An -tx1 | tr -d ' \\n'"});
    std::string raw_bytes;
    for (std::size_t i = 0; i + 1 < raw.out.size(); i += 2)
        raw_bytes.push_back(static_cast<char>(std::stoi(raw.out.substr(i, 2), nullptr, 16)));
    ASSERT_EQ(raw_bytes.size(), 20u);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(state_dir)) {
        const auto content = read_file(entry.path());
        EXPECT_EQ(content.find(secret), std::string::npos) << entry.path();
        EXPECT_EQ(content.find(raw_bytes), std::string::npos) << entry.path();
    }
    EXPECT_EQ(read_file(log_path).find(secret), std::string::npos);
    struct stat st {};
    ASSERT_EQ(::stat((state_dir + "/master.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(LoginTest, PamtesterThroughPamWrapper) {
    const auto secret = enroll("alice");
    RunOptions options;
    options.stdin_text = totp(secret) + "\n";
    options.env = {"LD_PRELOAD=libpam_wrapper.so", "PAM_WRAPPER=1", "PAM_WRAPPER_SERVICE_DIR=" + pam_dir};
    const auto r = run({"pamtester", "kotp-test", "alice", "authenticate"}, options);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_THAT(r.out + r.err, HasSubstr("successfully authenticated"));
}

TEST_F(LoginTest, StateSurvivesARestart) {
    const auto secret = enroll("alice");
    const auto code = totp(secret);
    ASSERT_EQ(login("alice", {code}).exit_code, 0);
    login("alice", {wrong_code(code)});
    stop_otpd(SIGKILL);
    start_otpd();
    EXPECT_THAT(login("alice", {code}).out, HasSubstr("KS1004"));
    EXPECT_EQ(json_field(admin_json({"show", "alice"}), "failures"), "1");
}

TEST_F(LoginTest, SigtermShutsDownCleanly) {
    ::kill(otpd_pid, SIGTERM);
    EXPECT_EQ(wait_exit(otpd_pid, std::chrono::seconds(10)), 0);
    otpd_pid = -1;
    struct stat st {};
    EXPECT_NE(::stat(socket_path.c_str(), &st), 0) << "socket left behind";
    EXPECT_THAT(read_file(log_path), HasSubstr("otpd stopped"));
}

TEST_F(LoginTest, SecondOtpdOnTheSameSocketRefusesToStart) {
    const auto r = run({OTPD_PATH, "--allow-root", "--config", config_path, "--socket", socket_path,
                        "--state-dir", state_dir});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.err, HasSubstr("another otpd is already serving"));
    // The first one still serves.
    EXPECT_EQ(admin({"list"}).exit_code, 0);
}

TEST_F(LoginTest, BadConfigurationIsAClearErrorAtStart) {
    write_file(dir + "/bad.conf", "lockout_threshold = 5\nlockout_treshold = 3\n");
    const auto r = run({OTPD_PATH, "--config", dir + "/bad.conf", "--socket", dir + "/other.sock",
                        "--state-dir", dir + "/other"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.err, HasSubstr("bad.conf:2: unknown key 'lockout_treshold'"));
}

}  // namespace
}  // namespace kotp::integration
