// pam_kotp.so through the real libpam: pam_login (tests/tools) runs pam_authenticate with a
// service file in a temporary directory, against no daemon, a silent listener, a socket owned
// by someone else, or fake_otpd playing each shape of exchange. Syslog is captured with the
// LD_PRELOAD library from tests/tools.
#include <gtest/gtest.h>
#include <security/pam_appl.h>
#include <unistd.h>

#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "test_processes.hpp"

namespace kotp::test {
namespace {

constexpr const char* kService = "kotp-test";
constexpr uid_t kNobody = 65534;

const std::string kUnavailable =
    "ERROR: KC2001: The OTP service is unavailable. Try again in a minute; if it persists, contact "
    "your system administrator.\n";

std::string result_line(int pam_code) {
    // pam_strerror needs no handle for the text of a code.
    return "RESULT: " + std::string(pam_strerror(nullptr, pam_code)) + " (" +
           std::to_string(pam_code) + ")\n";
}

// pam_login's run ended in `pam_code` (not success) after showing `shown`.
void expect_refused(const ProcessResult& r, int pam_code, const std::string& shown) {
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find(shown), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(result_line(pam_code)), std::string::npos) << r.out;
}

long elapsed_ms(const std::string& out) {
    const auto at = out.find("ELAPSED_MS: ");
    return at == std::string::npos ? -1 : std::stol(out.substr(at + 12));
}

class ModuleLogin : public ::testing::Test {
  protected:
    ModuleLogin() : socket_(dir_.file("otpd.sock")), missing_socket_(dir_.file("none")) {
        // Keeps libpam from complaining that the directory has no "other" stack.
        write_file(dir_.file("other"), "auth required pam_deny.so\n");
    }

    // Writes the service file: one `auth required pam_kotp.so <arguments>` line.
    void configure(const std::string& arguments) {
        write_file(dir_.file(kService),
                   std::string("auth required ") + PAM_KOTP_PATH + " " + arguments + "\n");
    }

    // fake_otpd arguments: a code prompt of `digits` digits that accepts `expect`, recorded.
    std::vector<std::string> code_prompt(const std::string& expect, const std::string& digits) {
        return {"--mode",        "code", "--expect", expect,
                "--code-digits", digits, "--record", record_path()};
    }

    // A combined stack: an optional probe line before pam_kotp.so (`before`, e.g. "set=..." for
    // a PAM_AUTHTOK an earlier module set), pam_kotp.so `combined` with `arguments` under
    // `control`, then the probe standing in for pam_unix.so use_first_pass (`after`, e.g.
    // "expect=...").
    void configure_combined(const std::string& arguments, const std::string& after,
                            const std::string& control = "requisite",
                            const std::string& before = {}) {
        std::string stack;
        if (!before.empty())
            stack += std::string("auth required ") + PAM_AUTHTOK_PROBE_PATH + " " + before + "\n";
        stack += "auth " + control + " " + PAM_KOTP_PATH + " combined " + arguments + "\n";
        stack += std::string("auth required ") + PAM_AUTHTOK_PROBE_PATH + " " + after + "\n";
        write_file(dir_.file(kService), stack);
    }

    ProcessResult login(const std::vector<std::string>& extra_args = {},
                        const std::vector<std::string>& extra_env = {},
                        const std::string& user = "alice") {
        std::vector<std::string> argv = {PAM_LOGIN_PATH, "--confdir", dir_.path(), "--service",
                                         kService,       "--user",    user};
        argv.insert(argv.end(), extra_args.begin(), extra_args.end());
        std::vector<std::string> env = {std::string("LD_PRELOAD=") + SYSLOG_CAPTURE_PATH,
                                        "KOTP_SYSLOG_CAPTURE=" + log_path()};
        env.insert(env.end(), extra_env.begin(), extra_env.end());
        return run_process(argv, env);
    }

    std::string log_path() const { return dir_.file("syslog"); }
    std::string log() const { return read_file(log_path()); }
    std::string record_path() const { return dir_.file("record"); }
    std::string record() const { return read_file(record_path()); }

    TempDir dir_;
    const std::string socket_;
    const std::string missing_socket_;
};

// --- otpd cannot be reached --------------------------------------------------------------------

TEST_F(ModuleLogin, NoDaemonIsRefusedWithKC2001) {
    configure("socket=" + missing_socket_);
    const ProcessResult r = login({"--rhost", "10.1.2.3"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out.find(kUnavailable), 0u) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_AUTHINFO_UNAVAIL)), std::string::npos) << r.out;
    const std::string syslog = log();
    EXPECT_NE(
        syslog.find(
            "err pam_kotp(kotp-test:auth): KC2001 refused: otpd is unreachable user=\"alice\" "
            "service=\"kotp-test\" rhost=\"10.1.2.3\" tty=\"\""),
        std::string::npos)
        << syslog;
    EXPECT_NE(syslog.find("reason=\"socket not found\""), std::string::npos) << syslog;
}

TEST_F(ModuleLogin, KotpSocketEnvironmentDoesNotRedirectTheModule) {
    FakeOtpd otpd(socket_, {"--mode", "success"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + missing_socket_);
    const ProcessResult r = login({}, {"KOTP_SOCKET=" + socket_});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_AUTHINFO_UNAVAIL)), std::string::npos) << r.out;
}

TEST_F(ModuleLogin, SilentListenerIsRefusedWithinTheTimeout) {
    FakeOtpd otpd(socket_, {"--mode", "silent"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " timeout=1");
    const ProcessResult r = login();
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out.find(kUnavailable), 0u) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_AUTHINFO_UNAVAIL)), std::string::npos) << r.out;
    EXPECT_GE(elapsed_ms(r.out), 900) << r.out;
    EXPECT_LT(elapsed_ms(r.out), 3000) << r.out;
    EXPECT_NE(log().find("reason=\"timed out waiting for otpd\""), std::string::npos) << log();
}

TEST_F(ModuleLogin, DaemonClosingBeforeAnyReplyIsRefused) {
    FakeOtpd otpd(socket_, {"--mode", "hangup"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_);
    const ProcessResult r = login();
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out.find(kUnavailable), 0u) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_AUTHINFO_UNAVAIL)), std::string::npos) << r.out;
}

TEST_F(ModuleLogin, FailmodeOpenWithNoDaemonLetsTheUserInAndRaisesAnAlert) {
    configure("socket=" + missing_socket_ + " failmode=open");
    const ProcessResult r = login({"--rhost", "10.9.9.9"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_SUCCESS)), std::string::npos) << r.out;
    const std::string syslog = log();
    EXPECT_NE(
        syslog.find(
            "alert pam_kotp(kotp-test:auth): KC2001 failmode=open: otpd is unreachable, login "
            "ALLOWED WITHOUT a second factor user=\"alice\" service=\"kotp-test\" "
            "rhost=\"10.9.9.9\""),
        std::string::npos)
        << syslog;

    // Every time, not once.
    const ProcessResult again = login();
    EXPECT_EQ(again.exit_code, 0) << again.out;
    std::size_t alerts = 0;
    for (auto at = log().find("alert "); at != std::string::npos; at = log().find("alert ", at + 1))
        ++alerts;
    EXPECT_EQ(alerts, 2u) << log();
}

TEST_F(ModuleLogin, FailmodeOpenLetsInWhenTheDaemonHangsUpBeforeAnswering) {
    FakeOtpd otpd(socket_, {"--mode", "hangup"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " failmode=open");
    const ProcessResult r = login();
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(log().find("alert "), std::string::npos) << log();
}

TEST_F(ModuleLogin, FailmodeOpenDoesNotApplyOnceTheDaemonHasAnswered) {
    // otpd asked for a code and then went away: waiting at the prompt must not skip the code.
    FakeOtpd otpd(socket_, {"--mode", "hangup-after-prompt"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " failmode=open");
    const ProcessResult r = login({"--answer", "000000"});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find(kUnavailable), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_AUTHINFO_UNAVAIL)), std::string::npos) << r.out;
    EXPECT_EQ(log().find("alert "), std::string::npos) << log();
    EXPECT_NE(log().find("failmode=open not applied"), std::string::npos) << log();
}

// --- an untrusted socket -----------------------------------------------------------------------

TEST_F(ModuleLogin, SocketFileOwnedByAnotherUserIsRefusedWithKC2002EvenWithFailmodeOpen) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the socket to nobody";
    FakeOtpd otpd(socket_, {"--mode", "success", "--chown", std::to_string(kNobody), "--record",
                            record_path()});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " failmode=open");
    const ProcessResult r = login();
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_EQ(r.out.find("ERROR: KC2002: The OTP service socket is not owned by root or _otpd."),
              0u)
        << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_AUTHINFO_UNAVAIL)), std::string::npos) << r.out;
    EXPECT_NE(log().find("crit pam_kotp(kotp-test:auth): KC2002 "), std::string::npos) << log();
    EXPECT_EQ(record(), "") << "nothing may be sent to an untrusted socket";
}

TEST_F(ModuleLogin, PeerRunningAsAnotherUserIsRefusedWithKC2002EvenWithFailmodeOpen) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the listener as nobody";
    // The socket file stays root's; the process behind it is not.
    FakeOtpd otpd(socket_, {"--mode", "success", "--peer-uid", std::to_string(kNobody), "--record",
                            record_path()});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " failmode=open");
    const ProcessResult r = login();
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_EQ(r.out.find("ERROR: KC2002:"), 0u) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_AUTHINFO_UNAVAIL)), std::string::npos) << r.out;
    EXPECT_EQ(record(), "");
}

// --- bad configuration -------------------------------------------------------------------------

TEST_F(ModuleLogin, UnknownArgumentFailsClosed) {
    FakeOtpd otpd(socket_, {"--mode", "success"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " failmode=open bogus");
    const ProcessResult r = login();
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_SERVICE_ERR)), std::string::npos) << r.out;
    EXPECT_NE(log().find("err pam_kotp(kotp-test:auth): bad module argument 'bogus'"),
              std::string::npos)
        << log();
}

TEST_F(ModuleLogin, MalformedTimeoutFailsClosed) {
    FakeOtpd otpd(socket_, {"--mode", "success"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " timeout=0");
    const ProcessResult r = login();
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_SERVICE_ERR)), std::string::npos) << r.out;
}

// --- exchanges with a daemon -------------------------------------------------------------------

TEST_F(ModuleLogin, RightCodeSucceedsAndSendsTheLoginItems) {
    FakeOtpd otpd(socket_, {"--mode", "code", "--expect", "123456", "--final-text",
                            "Welcome, alice.", "--record", record_path()});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " debug");
    const ProcessResult r = login({"--rhost", "10.1.2.3", "--tty", "pts/7", "--answer", "123456"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("PROMPT: Verification code: \nINFO: Welcome, alice.\n" +
                         result_line(PAM_SUCCESS)),
              0u)
        << r.out;
    EXPECT_EQ(record(),
              "BEGIN user=alice service=kotp-test rhost=10.1.2.3 tty=pts/7\nANSWER 123456\n");
    const std::string syslog = log();
    EXPECT_NE(syslog.find("info pam_kotp(kotp-test:auth): KS0000 accepted user=\"alice\""),
              std::string::npos)
        << syslog;
    EXPECT_NE(syslog.find("debug: sent AuthAnswer"), std::string::npos) << syslog;
    EXPECT_EQ(syslog.find("123456"), std::string::npos) << "the typed code must never be logged";
}

TEST_F(ModuleLogin, WrongCodeShowsTheDaemonTextAndFails) {
    FakeOtpd otpd(socket_,
                  {"--mode", "code", "--expect", "123456", "--final-text",
                   "KS1003: The verification code is wrong.\n4 attempts left.", "--attempts", "4"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " debug");
    const ProcessResult r = login({"--answer", "654321"});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("ERROR: KS1003: The verification code is wrong.\n4 attempts left.\n" +
                         result_line(PAM_AUTH_ERR)),
              std::string::npos)
        << r.out;
    const std::string syslog = log();
    EXPECT_NE(
        syslog.find(
            "notice pam_kotp(kotp-test:auth): KS1003 refused: The verification code is wrong. "
            "user=\"alice\" service=\"kotp-test\" rhost=\"\" tty=\"\" attempts_left=4"),
        std::string::npos)
        << syslog;
    EXPECT_EQ(syslog.find("654321"), std::string::npos) << "the typed code must never be logged";
}

TEST_F(ModuleLogin, RefusalWithoutTextShowsTheStandardMessage) {
    FakeOtpd otpd(socket_, {"--mode", "code", "--expect", "123456"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_);
    const ProcessResult r = login({"--answer", "1"});
    EXPECT_NE(r.out.find(
                  "ERROR: KS1003: The verification code is wrong. Type the code your authenticator "
                  "app shows now.\n"),
              std::string::npos)
        << r.out;
}

TEST_F(ModuleLogin, SlowTypistIsNotTimedOut) {
    FakeOtpd otpd(socket_, {"--mode", "code", "--expect", "123456"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " timeout=1");
    const ProcessResult r = login({"--answer", "123456", "--answer-delay-ms", "1600"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_GE(elapsed_ms(r.out), 1600) << r.out;
}

TEST_F(ModuleLogin, TextsFromTheDaemonAreStrippedOfTerminalControls) {
    const std::string hostile =
        "Scan:\n\xe2\x96\x88\xe2\x96\x80\n\x1b]0;owned\a\x1b[2J\rline\x7f\xc2\x9b"
        "31m\x9b";
    FakeOtpd otpd(socket_, {"--mode", "code", "--expect", "1", "--text", hostile, "--prompt",
                            "Code\x1b[8m: ", "--final-text", "ok\r\n"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_);
    const ProcessResult r = login({"--answer", "1"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("INFO: Scan:\n\xe2\x96\x88\xe2\x96\x80\n]0;owned[2Jline31m\n"
                         "PROMPT: Code[8m: \n"
                         "INFO: ok\n\n"),
              0u)
        << r.out;
}

TEST_F(ModuleLogin, ExemptionSucceedsWithoutAPrompt) {
    FakeOtpd otpd(socket_, {"--mode", "success", "--text", "KS0000: exempt (internal network)."});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_);
    const ProcessResult r = login();
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("INFO: KS0000: exempt (internal network).\n" + result_line(PAM_SUCCESS)),
              0u)
        << r.out;
}

struct RefusalCase {
    const char* mode;
    int status;
    int pam_code;
    const char* message_start;
};

void PrintTo(const RefusalCase& c, std::ostream* os) {
    *os << c.mode << " status " << c.status;
}

class ModuleRefusal : public ModuleLogin, public ::testing::WithParamInterface<RefusalCase> {};

TEST_P(ModuleRefusal, MapsToItsPamCodeAndMessage) {
    const RefusalCase& c = GetParam();
    FakeOtpd otpd(socket_, {"--mode", c.mode, "--status", std::to_string(c.status)});
    ASSERT_TRUE(otpd.ready());
    // failmode=open must not turn any answer of a live daemon into a success.
    configure("socket=" + socket_ + " failmode=open");
    const ProcessResult r = login();
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_EQ(r.out.find(std::string("ERROR: ") + c.message_start), 0u) << r.out;
    EXPECT_NE(r.out.find(result_line(c.pam_code)), std::string::npos) << r.out;
    EXPECT_EQ(log().find("alert "), std::string::npos) << log();
}

INSTANTIATE_TEST_SUITE_P(
    ModuleLogin, ModuleRefusal,
    ::testing::Values(RefusalCase{"fail", 1005, PAM_MAXTRIES,
                                  "KS1005: Your one-time password is suspended."},
                      RefusalCase{"fail", 1001, PAM_AUTH_ERR, "KS1001:"},
                      RefusalCase{"fail", 1004, PAM_AUTH_ERR, "KS1004:"},
                      RefusalCase{"fail", 1013, PAM_AUTH_ERR, "KS1013:"},
                      RefusalCase{"error", 1012, PAM_AUTHINFO_UNAVAIL, "KS1012:"},
                      RefusalCase{"error", 1010, PAM_AUTHINFO_UNAVAIL, "KS1010:"},
                      RefusalCase{"error", 1008, PAM_AUTH_ERR, "KS1008:"},
                      // A refusal that claims Ok, garbage, a reply of the wrong type, and a daemon
                      // that never stops asking are protocol errors.
                      RefusalCase{"fail", 0, PAM_AUTHINFO_UNAVAIL, "KS1011:"},
                      RefusalCase{"error", 0, PAM_AUTHINFO_UNAVAIL, "KS1011:"},
                      RefusalCase{"garbage", -1, PAM_AUTHINFO_UNAVAIL, "KS1011:"},
                      RefusalCase{"wrong-type", -1, PAM_AUTHINFO_UNAVAIL, "KS1011:"}),
    [](const ::testing::TestParamInfo<RefusalCase>& case_info) {
        std::string name =
            std::string(case_info.param.mode) + "_" + std::to_string(case_info.param.status);
        for (char& ch : name)
            if (ch == '-') ch = '_';
        return name;
    });

TEST_F(ModuleLogin, EndlessPromptsStopWithAProtocolError) {
    FakeOtpd otpd(socket_, {"--mode", "prompt-loop"});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_);
    const ProcessResult r = login(
        {"--answer", "1",  "--answer", "2",  "--answer", "3",  "--answer", "4",  "--answer", "5",
         "--answer", "6",  "--answer", "7",  "--answer", "8",  "--answer", "9",  "--answer", "10",
         "--answer", "11", "--answer", "12", "--answer", "13", "--answer", "14", "--answer", "15",
         "--answer", "16", "--answer", "17"});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("ERROR: KS1011:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_AUTHINFO_UNAVAIL)), std::string::npos) << r.out;
}

// --- what the user typed -----------------------------------------------------------------------

TEST_F(ModuleLogin, NoAnswerFailsWithKC2003) {
    FakeOtpd otpd(socket_, {"--mode", "code", "--expect", "123456", "--record", record_path()});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " failmode=open");
    const ProcessResult r = login();  // no --answer: the conversation fails
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(
        r.out.find("ERROR: KC2003: The login program could not ask for the verification code."),
        std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_CONV_ERR)), std::string::npos) << r.out;
    EXPECT_EQ(record().find("ANSWER"), std::string::npos);
}

TEST_F(ModuleLogin, OverlongAnswerIsNotSent) {
    FakeOtpd otpd(socket_, {"--mode", "code", "--expect", "123456", "--record", record_path()});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_);
    const ProcessResult r = login({"--answer", std::string(129, '7')});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("ERROR: KS1007: The verification code must be 6 or 8 digits."),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_AUTH_ERR)), std::string::npos) << r.out;
    EXPECT_EQ(record().find("ANSWER"), std::string::npos) << record();
    EXPECT_NE(record().find("BEGIN"), std::string::npos) << record();
}

TEST_F(ModuleLogin, AnswerOfExactlyTheLimitIsSent) {
    FakeOtpd otpd(socket_, {"--mode", "code", "--expect", "123456", "--record", record_path()});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_);
    const ProcessResult r = login({"--answer", std::string(128, '7')});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_AUTH_ERR)), std::string::npos) << r.out;
    EXPECT_NE(record().find("ANSWER " + std::string(128, '7')), std::string::npos) << record();
}

TEST_F(ModuleLogin, UserNameThatDoesNotFitIsUnknownWithoutAskingOtpd) {
    FakeOtpd otpd(socket_, {"--mode", "success", "--record", record_path()});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " failmode=open");
    const ProcessResult r = login({}, {}, std::string(257, 'u'));
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_USER_UNKNOWN)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ERROR: KS1014: Invalid user name."), std::string::npos) << r.out;
    EXPECT_EQ(record(), "");
    EXPECT_NE(
        log().find(
            "notice pam_kotp(kotp-test:auth): KS1014 refused: the user name is empty or longer "
            "than the protocol allows user=\"" +
            std::string(256, 'u') + "\"... service=\"kotp-test\""),
        std::string::npos)
        << log();
}

TEST_F(ModuleLogin, ItemThatDoesNotFitFailsClosedWithoutAskingOtpd) {
    FakeOtpd otpd(socket_, {"--mode", "success", "--record", record_path()});
    ASSERT_TRUE(otpd.ready());
    configure("socket=" + socket_ + " failmode=open");
    const ProcessResult r = login({"--tty", std::string(65, 't')});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find(result_line(PAM_SERVICE_ERR)), std::string::npos) << r.out;
    EXPECT_NE(log().find("KS1011 refused: an item does not fit the protocol user=\"alice\""),
              std::string::npos)
        << log();
    EXPECT_EQ(record(), "");
}

// --- combined: password and code in one answer ----------------------------------------------

TEST_F(ModuleLogin, CombinedSendsOnlyTheCodeAndHandsThePasswordOn) {
    FakeOtpd otpd(socket_, code_prompt("123456", "6"));
    ASSERT_TRUE(otpd.ready());
    configure_combined("socket=" + socket_ + " debug", "expect=s3cret");
    const ProcessResult r = login({"--answer", "s3cret123456"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("PROMPT: Password and verification code: \n"
                         "INFO: AUTHTOK: length 6, matches\n" +
                         result_line(PAM_SUCCESS)),
              0u)
        << r.out;
    EXPECT_EQ(record(), "BEGIN user=alice service=kotp-test rhost= tty=\nANSWER 123456\n");
    const std::string syslog = log();
    EXPECT_NE(syslog.find("KS0000 accepted user=\"alice\""), std::string::npos) << syslog;
    EXPECT_NE(syslog.find("debug: combined: PAM_AUTHTOK set for the next module"),
              std::string::npos)
        << syslog;
    EXPECT_EQ(syslog.find("s3cret"), std::string::npos) << "the password must never be logged";
    EXPECT_EQ(syslog.find("123456"), std::string::npos) << "the code must never be logged";
}

TEST_F(ModuleLogin, CombinedCutsAsManyDigitsAsOtpdSaysAndKeepsThePasswordsOwn) {
    struct Case {
        const char* code_digits;  // what otpd sends in AuthStep.code_digits
        const char* typed;
        const char* code;
        const char* password;
    };
    // 0: the user's tokens show 6 and 8 digits; the module cuts 6.
    for (const Case& c : {Case{"8", "pa55word9912345678", "12345678", "pa55word99"},
                          Case{"6", "pa55word9912345678", "345678", "pa55word9912"},
                          Case{"0", "pw12345678", "345678", "pw12"}}) {
        // A socket of its own: a killed fake_otpd leaves its socket file behind.
        const std::string socket = dir_.file(std::string("otpd-") + c.code_digits + ".sock");
        write_file(record_path(), "");
        FakeOtpd otpd(socket, code_prompt(c.code, c.code_digits));
        ASSERT_TRUE(otpd.ready());
        configure_combined("socket=" + socket, std::string("expect=") + c.password);
        const ProcessResult r = login({"--answer", c.typed});
        EXPECT_EQ(r.exit_code, 0) << c.code_digits << ": " << r.out;
        EXPECT_NE(r.out.find("INFO: AUTHTOK: length " + std::to_string(std::strlen(c.password)) +
                             ", matches\n"),
                  std::string::npos)
            << r.out;
        EXPECT_NE(record().find("ANSWER " + std::string(c.code) + "\n"), std::string::npos)
            << record();
    }
}

TEST_F(ModuleLogin, CombinedWrongCodeIsRefusedAndSetsNoAuthtok) {
    FakeOtpd otpd(socket_, code_prompt("123456", "6"));
    ASSERT_TRUE(otpd.ready());
    // `required`, not `requisite`, so that the probe runs after the refusal and tells.
    configure_combined("socket=" + socket_, "expect=s3cret", "required");
    const ProcessResult r = login({"--answer", "s3cret654321"});
    expect_refused(r, PAM_AUTH_ERR, "ERROR: KS1003:");
    EXPECT_NE(r.out.find("INFO: AUTHTOK: unset\n"), std::string::npos) << r.out;
    EXPECT_NE(record().find("ANSWER 654321\n"), std::string::npos) << record();
    EXPECT_EQ(log().find("s3cret"), std::string::npos) << log();
}

TEST_F(ModuleLogin, CombinedRequisiteStopsAtAWrongCodeAndLeavesAWrongPasswordToTheNextModule) {
    FakeOtpd otpd(socket_, code_prompt("123456", "6"));
    ASSERT_TRUE(otpd.ready());
    configure_combined("socket=" + socket_, "expect=s3cret");
    const ProcessResult wrong_code = login({"--answer", "s3cret654321"});
    expect_refused(wrong_code, PAM_AUTH_ERR, "ERROR: KS1003:");
    EXPECT_EQ(wrong_code.out.find("AUTHTOK"), std::string::npos) << "the next module must not run";

    const ProcessResult wrong_password = login({"--answer", "s3crut123456"});
    expect_refused(wrong_password, PAM_AUTH_ERR, "INFO: AUTHTOK: length 6, differs\n");
}

TEST_F(ModuleLogin, CombinedAnswerWithoutTheCodeIsRefusedWithKS1007AndNotSent) {
    FakeOtpd otpd(socket_, code_prompt("123456", "6"));
    ASSERT_TRUE(otpd.ready());
    configure_combined("socket=" + socket_, "expect=s3cret", "required");
    const ProcessResult r = login({"--answer", "s3cret12345"});
    expect_refused(r, PAM_AUTH_ERR,
                   "ERROR: KS1007: The answer must be your password followed directly by the "
                   "6-digit code your app shows.\n");
    EXPECT_NE(r.out.find("INFO: AUTHTOK: unset\n"), std::string::npos) << r.out;
    EXPECT_EQ(record().find("ANSWER"), std::string::npos) << record();
    EXPECT_NE(log().find("notice pam_kotp(kotp-test:auth): KS1007 refused: the combined answer "
                         "does not end in a 6-digit code and was not sent user=\"alice\""),
              std::string::npos)
        << log();
    EXPECT_EQ(log().find("s3cret"), std::string::npos) << log();
}

TEST_F(ModuleLogin, CombinedSplitsThePasswordAnEarlierModuleSet) {
    // A single-prompt client (sshd's password authentication, a portal) typed both into the
    // password an earlier module holds: no prompt, the code goes to otpd, the password stays.
    FakeOtpd otpd(socket_, code_prompt("123456", "6"));
    ASSERT_TRUE(otpd.ready());
    configure_combined("socket=" + socket_, "expect=s3cret", "requisite", "set=s3cret123456");
    const ProcessResult r = login();  // no answers: any prompt would fail the conversation
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("INFO: AUTHTOK: length 6, matches\n" + result_line(PAM_SUCCESS)), 0u)
        << r.out;
    EXPECT_NE(record().find("ANSWER 123456\n"), std::string::npos) << record();
}

TEST_F(ModuleLogin, CombinedExemptionAsksThePasswordAlone) {
    FakeOtpd otpd(socket_, {"--mode", "success", "--status", "1", "--text",
                            "KS0001: no code asked (internal network)."});
    ASSERT_TRUE(otpd.ready());
    configure_combined("socket=" + socket_, "expect=s3cret");
    const ProcessResult r = login({"--answer", "s3cret"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("PROMPT: Password: \n"
                         "INFO: KS0001: no code asked (internal network).\n"
                         "INFO: AUTHTOK: length 6, matches\n" +
                         result_line(PAM_SUCCESS)),
              0u)
        << r.out;
}

TEST_F(ModuleLogin, CombinedExemptionKeepsThePasswordAnEarlierModuleSet) {
    FakeOtpd otpd(socket_, {"--mode", "success", "--status", "1"});
    ASSERT_TRUE(otpd.ready());
    configure_combined("socket=" + socket_, "expect=s3cret", "requisite", "set=s3cret");
    const ProcessResult r = login();
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("INFO: AUTHTOK: length 6, matches\n"), 0u) << r.out;
}

TEST_F(ModuleLogin, CombinedEnrolmentAsksThePasswordFirstAndTheActivationCodeAsUsual) {
    FakeOtpd otpd(socket_,
                  {"--mode", "code", "--echo", "--prompt", "Activation code: ", "--text",
                   "You have no token yet.", "--expect", "314159", "--record", record_path()});
    ASSERT_TRUE(otpd.ready());
    configure_combined("socket=" + socket_, "expect=s3cret");
    const ProcessResult r = login({"--answer", "s3cret", "--answer", "314159"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("PROMPT: Password: \n"
                         "INFO: You have no token yet.\n"
                         "PROMPT: Activation code: \n"
                         "INFO: AUTHTOK: length 6, matches\n" +
                         result_line(PAM_SUCCESS)),
              0u)
        << r.out;
    EXPECT_NE(record().find("ANSWER 314159\n"), std::string::npos) << record();
    EXPECT_EQ(record().find("s3cret"), std::string::npos) << "the password never goes to otpd";
}

TEST_F(ModuleLogin, CombinedRefusalBeforeAnyPromptAsksNoPassword) {
    FakeOtpd otpd(socket_, {"--mode", "fail", "--status", "1001"});
    ASSERT_TRUE(otpd.ready());
    configure_combined("socket=" + socket_, "expect=s3cret", "required");
    const ProcessResult r = login({"--answer", "s3cret"});
    expect_refused(r, PAM_AUTH_ERR, "INFO: AUTHTOK: unset\n");
    EXPECT_EQ(r.out.find("PROMPT"), std::string::npos) << r.out;
}

TEST_F(ModuleLogin, CombinedFailmodeOpenAsksThePasswordAlone) {
    configure_combined("socket=" + missing_socket_ + " failmode=open", "expect=s3cret");
    const ProcessResult r = login({"--answer", "s3cret"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("PROMPT: Password: \nINFO: AUTHTOK: length 6, matches\n"), 0u) << r.out;
    EXPECT_NE(log().find("alert "), std::string::npos) << log();
}

TEST_F(ModuleLogin, CombinedWithoutAnAnswerFailsWithKC2003) {
    FakeOtpd otpd(socket_, {"--mode", "success", "--status", "1"});
    ASSERT_TRUE(otpd.ready());
    configure_combined("socket=" + socket_, "expect=s3cret");
    const ProcessResult r = login();  // the password prompt gets no answer
    expect_refused(r, PAM_CONV_ERR, "ERROR: KC2003:");
}

TEST_F(ModuleLogin, WithoutCombinedTheModuleLeavesPamAuthtokAlone) {
    FakeOtpd otpd(socket_, code_prompt("123456", "6"));
    ASSERT_TRUE(otpd.ready());
    write_file(dir_.file(kService), std::string("auth requisite ") + PAM_KOTP_PATH +
                                        " socket=" + socket_ + "\nauth required " +
                                        PAM_AUTHTOK_PROBE_PATH + "\n");
    const ProcessResult r = login({"--answer", "123456"});
    EXPECT_EQ(r.out.find("PROMPT: Verification code: \nINFO: AUTHTOK: unset\n"), 0u) << r.out;
    EXPECT_NE(record().find("ANSWER 123456\n"), std::string::npos) << record();
}

TEST_F(ModuleLogin, HostileNamesAreEscapedInTheLog) {
    configure("socket=" + missing_socket_);
    const ProcessResult r = login({"--rhost", "evil\n\"host\""}, {}, "bob\x1b[1m");
    EXPECT_EQ(r.exit_code, 1) << r.out;
    const std::string syslog = log();
    EXPECT_NE(
        syslog.find("user=\"bob\\x1b[1m\" service=\"kotp-test\" rhost=\"evil\\x0a\\x22host\\x22\""),
        std::string::npos)
        << syslog;
}

}  // namespace
}  // namespace kotp::test
