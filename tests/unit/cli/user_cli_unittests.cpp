// kotp, the user's CLI: the interactive exchange (enroll, enroll --replace, recovery) against a
// scripted fake otpd, the text it lets through to the terminal, and the executable's parsing.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <streambuf>
#include <thread>

#include "cli_test_support.hpp"
#include "commands.hpp"
#include "kotp/messages.hpp"
#include "kotp/terminal_text.hpp"
#include "user_exchange.hpp"

namespace {

using namespace kotp::admin;
using namespace std::chrono_literals;
using kotp::test::Conversation;
using kotp::test::decode_request;
using kotp::test::FakeOtpd;
using kotp::test::reply_with;
using kotp::test::RunResult;
using kotp::test::ScriptedReply;
using kotp::test::TempDir;
namespace wire = kotp::wire;

std::string own_name() {
    const struct passwd* pw = ::getpwuid(::getuid());
    return pw != nullptr ? pw->pw_name : "";
}

ScriptedReply prompt(const std::string& text, const std::string& question, bool echo) {
    wire::AuthStep step;
    step.outcome = wire::Outcome::Prompt;
    step.status = wire::Status::Ok;
    step.echo = echo;
    step.prompt = question;
    step.text = text;
    return reply_with(step);
}

ScriptedReply success(const std::string& text) {
    wire::AuthStep step;
    step.outcome = wire::Outcome::Success;
    step.status = wire::Status::Ok;
    step.text = text;
    return reply_with(step);
}

ScriptedReply failure(wire::Status status, const std::string& text) {
    wire::AuthStep step;
    step.outcome = wire::Outcome::Failure;
    step.status = status;
    step.text = text;
    return reply_with(step);
}

ScriptedReply error_reply(wire::Status status, const std::string& text = {}) {
    wire::ErrorReply e;
    e.status = status;
    e.text = text;
    return reply_with(e);
}

const std::string kQrText =
    "\u2588\u2580\u2580\u2588 \u2584\u2584\n"
    "Key string: JBSW Y3DP EHPK 3PXP\n"
    "otpauth://totp/kotp:alice?secret=JBSWY3DPEHPK3PXP&issuer=kotp";

// Delivers its text only after a pause, like a person typing.
class SlowInput : public std::streambuf {
  public:
    SlowInput(std::string text, std::chrono::milliseconds delay)
        : text_(std::move(text)), delay_(delay) {}

  protected:
    int_type underflow() override {
        if (gptr() != nullptr && gptr() < egptr()) return traits_type::to_int_type(*gptr());
        if (delivered_) return traits_type::eof();
        std::this_thread::sleep_for(delay_);
        delivered_ = true;
        setg(text_.data(), text_.data(), text_.data() + text_.size());
        return traits_type::to_int_type(*gptr());
    }

  private:
    std::string text_;
    std::chrono::milliseconds delay_;
    bool delivered_ = false;
};

class UserExchangeTest : public ::testing::Test {
  protected:
    Context context(const std::string& socket, const std::string& typed) {
        in_.str(typed);
        Context ctx;
        ctx.program = "kotp";
        ctx.socket_path = socket;
        ctx.timeout = 2s;
        ctx.out = &out_;
        ctx.err = &err_;
        ctx.in = &in_;
        ctx.in_fd = -1;  // not a terminal
        return ctx;
    }

    TempDir dir_;
    std::istringstream in_;
    std::ostringstream out_;
    std::ostringstream err_;
};

TEST_F(UserExchangeTest, EnrolSendsBeginForTheCallerAndAnswersEachPrompt) {
    FakeOtpd otpd(dir_, {Conversation{{prompt("", "Activation code: ", true),
                                       prompt(kQrText, "Verification code from your app: ", false),
                                       success("Your token is now active.\nRecovery codes:\n"
                                               "  aaaaa-bbbbb\n")}}});
    EXPECT_EQ(
        run_user_exchange(context(otpd.socket_path(), "123456\n654321\n"), wire::Intent::Enroll),
        kExitOk)
        << err_.str();

    ASSERT_EQ(otpd.requests().size(), 3U);
    const auto begin = decode_request<wire::AuthBegin>(otpd.requests()[0]);
    EXPECT_EQ(begin.user, own_name());
    EXPECT_EQ(begin.service, "kotp");
    EXPECT_EQ(begin.rhost, "");
    EXPECT_EQ(begin.tty, "") << "the input is not a terminal";
    EXPECT_EQ(begin.intent, wire::Intent::Enroll);
    EXPECT_EQ(decode_request<wire::AuthAnswer>(otpd.requests()[1]).response, "123456");
    EXPECT_EQ(decode_request<wire::AuthAnswer>(otpd.requests()[2]).response, "654321");

    // Each prompt stays on its line (no newline) until the answer; the answer is not echoed.
    EXPECT_EQ(out_.str(), "Activation code: \n" + kQrText +
                              "\nVerification code from your app: \n"
                              "Your token is now active.\nRecovery codes:\n  aaaaa-bbbbb\n");
    EXPECT_TRUE(err_.str().empty()) << err_.str();
}

TEST_F(UserExchangeTest, ReplaceAndRecoveryNameTheirIntent) {
    for (const wire::Intent intent : {wire::Intent::Replace, wire::Intent::NewRecoveryCodes}) {
        TempDir dir;
        FakeOtpd otpd(dir, {Conversation{{prompt("", "Current verification code: ", false),
                                          success("New recovery codes: ...")}}});
        EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), "111111\n"), intent), kExitOk);
        ASSERT_EQ(otpd.requests().size(), 2U);
        EXPECT_EQ(decode_request<wire::AuthBegin>(otpd.requests()[0]).intent, intent);
        EXPECT_EQ(decode_request<wire::AuthAnswer>(otpd.requests()[1]).response, "111111");
    }
}

TEST_F(UserExchangeTest, FailureTextGoesToStderrAndExitsOne) {
    const std::string why = "KS1002: The activation code is wrong, expired or already used.";
    FakeOtpd otpd(dir_, {Conversation{{prompt("", "Activation code: ", true),
                                       failure(wire::Status::ActivationFailed, why)}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), "000000\n"), wire::Intent::Enroll),
              kExitRefused);
    EXPECT_EQ(err_.str(), why + "\n");
    EXPECT_EQ(out_.str(), "Activation code: \n");
}

TEST_F(UserExchangeTest, PermissionDeniedFailureExitsFour) {
    FakeOtpd otpd(dir_, {Conversation{{failure(wire::Status::PermissionDenied, "not you")}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), ""), wire::Intent::Enroll),
              kExitPermission);
    EXPECT_EQ(err_.str(), "not you\n");
}

TEST_F(UserExchangeTest, FailureWithoutTextShowsTheStatusTableLine) {
    FakeOtpd otpd(dir_, {Conversation{{prompt("", "Current verification code: ", false),
                                       failure(wire::Status::WrongCode, "")}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), "123456\n"), wire::Intent::Replace),
              kExitRefused);
    EXPECT_EQ(err_.str().rfind("KS1003: ", 0), 0U) << err_.str();
}

TEST_F(UserExchangeTest, FailureWithStatusOkIsAProtocolError) {
    FakeOtpd otpd(dir_, {Conversation{{failure(wire::Status::Ok, "fine?")}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), ""), wire::Intent::Enroll),
              kExitRefused);
    EXPECT_NE(err_.str().find("protocol error: a refusal with status Ok"), std::string::npos)
        << err_.str();
}

TEST_F(UserExchangeTest, ErrorRepliesAreReportedAsByKotpAdmin) {
    struct Case {
        wire::Status status;
        int exit_status;
        const char* line;
    };
    for (const Case& c : {Case{wire::Status::NotEnrolled, kExitRefused, "kotp: KS1001: "},
                          Case{wire::Status::PermissionDenied, kExitPermission, "kotp: KS1008: "},
                          Case{wire::Status::UnknownUser, kExitUnknownUser, "kotp: KS1009: "},
                          Case{wire::Status::Suspended, kExitRefused, "kotp: KS1005: "}}) {
        TempDir dir;
        err_.str("");
        FakeOtpd otpd(dir, {Conversation{{error_reply(c.status)}}});
        EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), "x\n"), wire::Intent::Enroll),
                  c.exit_status);
        const std::string err = err_.str();
        EXPECT_EQ(err.rfind(c.line, 0), 0U) << err;
        EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    }
}

TEST_F(UserExchangeTest, EndOfInputIsAClearErrorAndNoAnswerIsSent) {
    FakeOtpd otpd(dir_, {Conversation{{prompt("", "Activation code: ", true), success("no")}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), ""), wire::Intent::Enroll),
              kExitRefused);
    EXPECT_NE(err_.str().find("no answer (end of input); nothing was changed"), std::string::npos)
        << err_.str();
    EXPECT_EQ(otpd.requests().size(), 1U) << "only the AuthBegin";
}

TEST_F(UserExchangeTest, EndOfInputAfterTheActivationCodeSaysItStopped) {
    FakeOtpd otpd(dir_, {Conversation{{prompt("", "Activation code: ", true),
                                       prompt(kQrText, "Verification code from your app: ", false),
                                       success("no")}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), "123456\n"), wire::Intent::Enroll),
              kExitRefused);
    EXPECT_EQ(err_.str(), "kotp: no answer (end of input); stopped\n");
    EXPECT_EQ(otpd.requests().size(), 2U);
}

TEST_F(UserExchangeTest, CarriageReturnOfTheLineIsNotPartOfTheAnswer) {
    FakeOtpd otpd(dir_, {Conversation{{prompt("", "Code: ", false), success("ok")}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), "123456\r\n"), wire::Intent::Replace),
              kExitOk);
    EXPECT_EQ(decode_request<wire::AuthAnswer>(otpd.requests().at(1)).response, "123456");
}

TEST_F(UserExchangeTest, OverlongAnswerIsNotSent) {
    FakeOtpd otpd(dir_, {Conversation{{prompt("", "Code: ", false), success("no")}}});
    EXPECT_EQ(run_user_exchange(
                  context(otpd.socket_path(), std::string(wire::kMaxResponse + 1, '1') + "\n"),
                  wire::Intent::Replace),
              kExitRefused);
    EXPECT_NE(err_.str().find("longer than 128 bytes"), std::string::npos) << err_.str();
    EXPECT_EQ(otpd.requests().size(), 1U);
}

TEST_F(UserExchangeTest, EmptyPromptFallsBackToTheDefault) {
    FakeOtpd otpd(dir_, {Conversation{{prompt("", "", false), success("")}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), "1\n"), wire::Intent::Replace),
              kExitOk);
    EXPECT_EQ(out_.str(), "Verification code: \n");
}

TEST_F(UserExchangeTest, OtpdTextCannotDriveTheTerminal) {
    const std::string hostile =
        "\x1b[2J\x1b]0;owned\x07"
        "clear\r\bed\x7f \xc2\x9b"
        "31m \x9b"
        "1m "
        "\xc0\xaf \xed\xa0\x80 \u2588\u2580\u2584 caf\u00e9\n";
    FakeOtpd otpd(dir_,
                  {Conversation{{prompt(hostile, "Code\x1b[8m: ", false), success(hostile)}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), "1\n"), wire::Intent::Replace),
              kExitOk);
    const std::string safe = "[2J]0;ownedcleared 31m 1m   \u2588\u2580\u2584 caf\u00e9\n";
    EXPECT_EQ(out_.str(), safe + "Code[8m: \n" + safe);
}

TEST(TerminalText, KeepsUtf8AndNewlinesDropsControlsAndMalformedBytes) {
    EXPECT_EQ(kotp::terminal_safe("\u2580\u2584\u2588 ok\n"), "\u2580\u2584\u2588 ok\n");
    EXPECT_EQ(kotp::terminal_safe("a\tb\rc\x1b"
                            "d\x7f"
                            "e"),
              "abcde");
    EXPECT_EQ(kotp::terminal_safe("\xc2\x85\xc2\x9b\xc2\xa0"), "\xc2\xa0") << "C1 controls dropped";
    EXPECT_EQ(kotp::terminal_safe("\x9b\xff\xc3"), "") << "lone and truncated bytes dropped";
    EXPECT_EQ(kotp::terminal_safe("\xe0\x80\xaf\xf4\x90\x80\x80"), "") << "overlong, above U+10FFFF";
    EXPECT_EQ(kotp::terminal_safe("\xf0\x9f\x94\x91"), "\xf0\x9f\x94\x91");
}

TEST(TerminalText, SafeLineMarksEveryDroppedCharacterAndTheNewline) {
    EXPECT_EQ(kotp::terminal_safe_line("h\xc3\xa9 \u2588"), "h\xc3\xa9 \u2588");
    EXPECT_EQ(kotp::terminal_safe_line("a\nb\x1b[2Jc"), "a?b?[2Jc");
    EXPECT_EQ(kotp::terminal_safe_line("\x9b\xff\xc3"), "???") << "one mark per malformed byte";
    EXPECT_EQ(kotp::terminal_safe_line("\xc2\x9b"), "?") << "a C1 control is one character";
}

TEST_F(UserExchangeTest, TooManyQuestionsIsAProtocolError) {
    Conversation endless;
    for (int i = 0; i < 17; ++i) endless.turns.push_back(prompt("", "Again: ", true));
    FakeOtpd otpd(dir_, {endless});
    std::string typed;
    for (int i = 0; i < 17; ++i) typed += "1\n";
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), typed), wire::Intent::Enroll),
              kExitRefused);
    EXPECT_NE(err_.str().find("otpd asked more than 16 questions"), std::string::npos)
        << err_.str();
}

TEST_F(UserExchangeTest, AnotherReplyTypeIsAProtocolError) {
    FakeOtpd otpd(dir_, {Conversation{{reply_with(wire::Done{})}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), ""), wire::Intent::Enroll),
              kExitRefused);
    EXPECT_NE(err_.str().find("protocol error: expected AuthStep"), std::string::npos)
        << err_.str();
}

TEST_F(UserExchangeTest, MalformedAuthStepIsAProtocolError) {
    ScriptedReply bad = success("ok");
    bad.reply.push_back(0);
    bad.reply[3] = static_cast<std::uint8_t>(bad.reply[3] + 1);  // counted trailing byte
    FakeOtpd otpd(dir_, {Conversation{{bad}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), ""), wire::Intent::Enroll),
              kExitRefused);
    EXPECT_NE(err_.str().find("malformed AuthStep"), std::string::npos) << err_.str();
}

TEST_F(UserExchangeTest, TheTimeoutIsForOtpdNotForTheUserTyping) {
    FakeOtpd otpd(dir_, {Conversation{{prompt("", "Code: ", false), success("ok")}}});
    Context ctx = context(otpd.socket_path(), "");
    ctx.timeout = 150ms;
    SlowInput slow("123456\n", 500ms);
    std::istream typed(&slow);
    ctx.in = &typed;
    EXPECT_EQ(run_user_exchange(ctx, wire::Intent::Replace), kExitOk) << err_.str();
    EXPECT_EQ(decode_request<wire::AuthAnswer>(otpd.requests().at(1)).response, "123456");
}

TEST_F(UserExchangeTest, OtpdTooSlowExitsThree) {
    FakeOtpd otpd(dir_, {Conversation{{ScriptedReply{prompt("", "Code: ", false).reply, 600ms}}}});
    Context ctx = context(otpd.socket_path(), "1\n");
    ctx.timeout = 100ms;
    EXPECT_EQ(run_user_exchange(ctx, wire::Intent::Enroll), kExitUnreachable);
    EXPECT_NE(err_.str().find("timed out"), std::string::npos) << err_.str();
}

TEST_F(UserExchangeTest, HangUpAfterTheAnswerExitsThree) {
    FakeOtpd otpd(dir_, {Conversation{{prompt("", "Code: ", false), ScriptedReply{{}, -1ms}}}});
    EXPECT_EQ(run_user_exchange(context(otpd.socket_path(), "1\n"), wire::Intent::Enroll),
              kExitUnreachable);
    EXPECT_NE(err_.str().find("closed the connection"), std::string::npos) << err_.str();
}

TEST_F(UserExchangeTest, MissingSocketExitsThreeAndNamesThePath) {
    const std::string path = dir_.file("none.sock");
    EXPECT_EQ(run_user_exchange(context(path, ""), wire::Intent::Enroll), kExitUnreachable);
    EXPECT_EQ(err_.str(), "kotp: cannot talk to otpd at " + path + ": socket not found\n");
}

// ---- the kotp executable ----

RunResult kotp_cli(const std::vector<std::string>& args, const std::string& stdin_text = {},
                   const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv{KOTP_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    kotp::test::RunOptions options;
    options.env = env;
    options.stdin_text = stdin_text;
    return kotp::test::run(argv, options);
}

TEST(KotpCli, HelpDescribesTheCommands) {
    const RunResult r = kotp_cli({"--help"});
    EXPECT_EQ(r.exit_code, 0);
    for (const char* word : {"status", "enroll", "--replace", "recovery", "activation code",
                             "--json", "--socket", "--timeout", "KOTP_SOCKET", "Exit status"})
        EXPECT_NE(r.out.find(word), std::string::npos) << word;
    const RunResult enroll = kotp_cli({"enroll", "--help"});
    EXPECT_EQ(enroll.exit_code, 0);
    EXPECT_NE(enroll.out.find("--replace"), std::string::npos) << enroll.out;
}

TEST(KotpCli, UsageErrorsAreOneLinePlusTheHint) {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {},
             {"frobnicate"},
             {"status", "alice"},  // there is no way to name another user
             {"--user", "alice", "status"},
             {"enroll", "alice"},
             {"recovery", "alice"},
             {"--json", "enroll"},
             {"recovery", "--json"},
             {"--timeout", "0", "status"},
             {"--timeout", "soon", "status"}}) {
        const RunResult r = kotp_cli(args);
        EXPECT_EQ(r.exit_code, 2) << testing::PrintToString(args) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
        EXPECT_EQ(r.err.rfind("kotp: ", 0), 0U) << r.err;
        EXPECT_NE(r.err.find("\nRun with --help for more information.\n"), std::string::npos)
            << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
}

TEST(KotpCli, StatusAsksForTheCallersOwnRecord) {
    TempDir dir;
    wire::UserInfo info;
    info.user = own_name();
    info.recovery_left = 9;
    wire::TokenInfo phone;
    phone.id = 4;
    phone.label = "phone";
    phone.state = wire::TokenState::Active;
    info.tokens = {phone};
    FakeOtpd otpd(dir, {reply_with(info), reply_with(info)});
    const RunResult r = kotp_cli({"--socket", otpd.socket_path(), "status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["user"], own_name());
    EXPECT_EQ(j["recovery_left"], 9);
    EXPECT_EQ(j["tokens"][0]["label"], "phone");
    EXPECT_TRUE(j["activation_expires"].is_null());
    const RunResult human = kotp_cli({"status"}, {}, {"KOTP_SOCKET=" + otpd.socket_path()});
    EXPECT_EQ(human.exit_code, 0) << human.err;
    EXPECT_NE(human.out.find("Recovery:    9 code(s) left"), std::string::npos) << human.out;
    EXPECT_NE(human.out.find("phone"), std::string::npos) << human.out;
    ASSERT_EQ(otpd.requests().size(), 2U);
    for (const auto& request : otpd.requests()) {
        EXPECT_EQ(request.type, wire::MessageType::UserStatus);
        EXPECT_TRUE(request.payload.empty()) << "a UserStatus names nobody";
    }
}

TEST(KotpCli, StatusOfAnUnenrolledCallerIsTheStatusLine) {
    TempDir dir;
    FakeOtpd otpd(dir, {reply_with(wire::ErrorReply{wire::Status::NotEnrolled, ""})});
    const RunResult r = kotp_cli({"--socket", otpd.socket_path(), "--json", "status"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("kotp: KS1001: ", 0), 0U) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["error"]["code"], "KS1001");
}

TEST(KotpCli, EnrolWithAnswersFromAPipe) {
    TempDir dir;
    FakeOtpd otpd(dir, {Conversation{{prompt("", "Activation code: ", true),
                                      prompt(kQrText, "Verification code from your app: ", false),
                                      success("Your token is now active.")}}});
    const RunResult r = kotp_cli({"enroll", "--socket", otpd.socket_path()}, "123456\n654321\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(kQrText), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Your token is now active.\n"), std::string::npos) << r.out;
    ASSERT_EQ(otpd.requests().size(), 3U);
    const auto begin = decode_request<wire::AuthBegin>(otpd.requests()[0]);
    EXPECT_EQ(begin.user, own_name());
    EXPECT_EQ(begin.intent, wire::Intent::Enroll);
    EXPECT_EQ(begin.tty, "");
    EXPECT_EQ(decode_request<wire::AuthAnswer>(otpd.requests()[2]).response, "654321");
}

TEST(KotpCli, ReplaceAndRecoveryThroughTheExecutable) {
    for (const auto& [args, intent] :
         std::vector<std::pair<std::vector<std::string>, wire::Intent>>{
             {{"enroll", "--replace"}, wire::Intent::Replace},
             {{"recovery"}, wire::Intent::NewRecoveryCodes}}) {
        TempDir dir;
        FakeOtpd otpd(
            dir,
            {Conversation{{prompt("", "Current verification code: ", false), success("done")}}});
        std::vector<std::string> argv = {"--socket", otpd.socket_path()};
        argv.insert(argv.end(), args.begin(), args.end());
        const RunResult r = kotp_cli(argv, "111111\n");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(decode_request<wire::AuthBegin>(otpd.requests().at(0)).intent, intent);
    }
}

TEST(KotpCli, EndOfInputExitsOne) {
    TempDir dir;
    FakeOtpd otpd(dir, {Conversation{{prompt("", "Activation code: ", true)}}});
    const RunResult r = kotp_cli({"--socket", otpd.socket_path(), "enroll"}, "");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("end of input"), std::string::npos) << r.err;
}

TEST(KotpCli, MissingSocketExitsThree) {
    TempDir dir;
    const RunResult r = kotp_cli({"recovery"}, "", {"KOTP_SOCKET=" + dir.file("none.sock")});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.err,
              "kotp: cannot talk to otpd at " + dir.file("none.sock") + ": socket not found\n");
}

}  // namespace
