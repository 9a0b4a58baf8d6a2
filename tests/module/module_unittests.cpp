// The module's pure parts: argument parsing, the status -> PAM code mapping, the user messages,
// and the terminal and log guards.
#include <gtest/gtest.h>
#include <security/pam_modules.h>

#include <string>
#include <vector>

#include "combined_answer.hpp"
#include "kotp/client.hpp"
#include "module_log.hpp"
#include "module_options.hpp"
#include "pam_result.hpp"

namespace kotp::pam {
namespace {

using wire::Status;

ParsedOptions parse(std::vector<const char*> args) {
    return parse_module_options(static_cast<int>(args.size()), args.data());
}

TEST(ModuleOptions, DefaultsAreTheDaemonSocketFiveSecondsAndFailClosed) {
    const ParsedOptions parsed = parse({});
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    EXPECT_EQ(parsed.options.socket_path, kDefaultSocketPath);
    EXPECT_EQ(parsed.options.timeout, std::chrono::seconds(5));
    EXPECT_EQ(parsed.options.failmode, FailMode::Closed);
    EXPECT_FALSE(parsed.options.combined);
    EXPECT_FALSE(parsed.options.debug);
}

TEST(ModuleOptions, KotpSocketEnvironmentIsIgnored) {
    ::setenv("KOTP_SOCKET", "/tmp/attacker.sock", 1);
    const ParsedOptions parsed = parse({});
    ::unsetenv("KOTP_SOCKET");
    EXPECT_EQ(parsed.options.socket_path, kDefaultSocketPath);
}

TEST(ModuleOptions, ParsesEveryArgument) {
    const ParsedOptions parsed =
        parse({"socket=/tmp/x/otpd.sock", "timeout=120", "failmode=open", "combined", "debug"});
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    EXPECT_EQ(parsed.options.socket_path, "/tmp/x/otpd.sock");
    EXPECT_EQ(parsed.options.timeout, std::chrono::seconds(120));
    EXPECT_EQ(parsed.options.failmode, FailMode::Open);
    EXPECT_TRUE(parsed.options.combined);
    EXPECT_TRUE(parsed.options.debug);

    const ParsedOptions again = parse({"failmode=open", "failmode=closed", "timeout=1"});
    ASSERT_TRUE(again.ok()) << again.error;
    EXPECT_EQ(again.options.failmode, FailMode::Closed);
    EXPECT_EQ(again.options.timeout, std::chrono::seconds(1));
}

class BadModuleArgument : public ::testing::TestWithParam<const char*> {};

TEST_P(BadModuleArgument, IsRefusedWithAReason) {
    const ParsedOptions parsed = parse({"debug", GetParam()});
    EXPECT_FALSE(parsed.ok());
    EXPECT_NE(parsed.error.find("bad module argument"), std::string::npos) << parsed.error;
}

INSTANTIATE_TEST_SUITE_P(
    ModuleOptions, BadModuleArgument,
    ::testing::Values(
        "bogus", "socket", "socket=", "socket=relative/path", "timeout=", "timeout=0",
        "timeout=121", "timeout=-1", "timeout=+5", "timeout= 5", "timeout=5s",
        "timeout=99999999999999999999", "failmode=", "failmode=maybe", "failmode=OPEN", "Debug",
        "debug=1", "nodebug", "combined=1", "combined=", "Combined", "combine",
        "socket=/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock"));

TEST(ModuleOptions, ErrorQuotesTheArgumentPrintably) {
    const ParsedOptions parsed = parse({"fail\nmode=open"});
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error.find('\n'), std::string::npos);
    EXPECT_NE(parsed.error.find("fail?mode=open"), std::string::npos) << parsed.error;
}

TEST(CombinedAnswer, CodeLengthIsWhatOtpdSaysOrSix) {
    EXPECT_EQ(combined_code_length(6), 6u);
    EXPECT_EQ(combined_code_length(8), 8u);
    EXPECT_EQ(combined_code_length(0), 6u);  // the user's tokens differ
}

struct SplitCase {
    const char* typed;
    std::size_t code_length;
    const char* password;
    const char* code;
};

TEST(CombinedAnswer, CutsTheTrailingCodeOffAndKeepsThePasswordAsTyped) {
    const SplitCase cases[] = {
        {"s3cret123456", 6, "s3cret", "123456"},
        // A password that ends in digits keeps them: only the last 6 (or 8) are the code.
        {"pa55word99012345", 6, "pa55word99", "012345"},
        {"pw 12345678", 8, "pw ", "12345678"},
        {" p\xc3\xa4ss wort \t654321", 6, " p\xc3\xa4ss wort \t", "654321"},
        // Only a code: the password is empty; the next module decides what that is worth.
        {"123456", 6, "", "123456"},
    };
    for (const SplitCase& c : cases) {
        CombinedAnswer parts;
        ASSERT_TRUE(split_combined_answer(c.typed, c.code_length, parts)) << c.typed;
        EXPECT_EQ(parts.password, c.password) << c.typed;
        EXPECT_EQ(parts.code, c.code) << c.typed;
    }
}

TEST(CombinedAnswer, RefusesAnAnswerThatDoesNotEndInTheCode) {
    CombinedAnswer parts;
    ASSERT_TRUE(split_combined_answer("old654321", 6, parts));
    for (const char* typed : {"", "12345", "password", "password12345", "pass123 456",
                              "pass123456 ", "pass12345\xd9\xa3", "pw1234567x", "pw\n"}) {
        EXPECT_FALSE(split_combined_answer(typed, 6, parts)) << typed;
        EXPECT_EQ(parts.password, "") << typed;
        EXPECT_EQ(parts.code, "") << typed;
    }
    // 8 digits asked, 7 given after a password that ends in a letter.
    EXPECT_FALSE(split_combined_answer("secret1234567", 8, parts));
    EXPECT_FALSE(split_combined_answer("123456", 0, parts));
}

TEST(PamResult, MapsEveryStatusToOneCode) {
    EXPECT_EQ(pam_code_for(Status::Ok), PAM_SUCCESS);
    for (Status s : {Status::WrongCode, Status::CodeAlreadyUsed, Status::ClockSkew,
                     Status::BadCodeFormat, Status::NotEnrolled, Status::ActivationFailed,
                     Status::PermissionDenied, Status::UnknownUser})
        EXPECT_EQ(pam_code_for(s), PAM_AUTH_ERR) << static_cast<int>(s);
    EXPECT_EQ(pam_code_for(Status::Suspended), PAM_MAXTRIES);
    for (Status s : {Status::ServiceUnavailable, Status::InternalError, Status::ProtocolError,
                     Status::Busy, Status::UntrustedSocket})
        EXPECT_EQ(pam_code_for(s), PAM_AUTHINFO_UNAVAIL) << static_cast<int>(s);
    EXPECT_EQ(pam_code_for(Status::ConversationFailed), PAM_CONV_ERR);
    EXPECT_EQ(pam_code_for(Status::TokenLimit), PAM_AUTH_ERR);
    EXPECT_EQ(pam_code_for(Status::InvalidArgument), PAM_AUTH_ERR);
    EXPECT_EQ(pam_code_for(static_cast<Status>(4242)), PAM_AUTH_ERR);
}

TEST(PamResult, StandardMessageIsIdCauseAndRemedy) {
    EXPECT_EQ(
        standard_message(Status::ServiceUnavailable),
        "KC2001: The OTP service is unavailable. Try again in a minute; if it persists, contact "
        "your system administrator.");
}

TEST(PamResult, UserMessagePrefersTheDaemonText) {
    EXPECT_EQ(user_message(Status::WrongCode, "KS1003: wrong.\n4 attempts left."),
              "KS1003: wrong.\n4 attempts left.");
    EXPECT_EQ(user_message(Status::WrongCode, ""), standard_message(Status::WrongCode));
}

TEST(TerminalSafe, KeepsNewlinesPrintableAsciiAndUtf8) {
    EXPECT_EQ(
        terminal_safe("Scan this:\n\xe2\x96\x88\xe2\x96\x80 \xc3\xa9t\xc3\xa9 \xf0\x9f\x94\x91\n"),
        "Scan this:\n\xe2\x96\x88\xe2\x96\x80 \xc3\xa9t\xc3\xa9 \xf0\x9f\x94\x91\n");
}

TEST(TerminalSafe, DropsControlCharactersAndMalformedUtf8) {
    EXPECT_EQ(terminal_safe("a\x1b[2Jb\rc\ad\be\tf\x7fg"), "a[2Jbcdefg");
    EXPECT_EQ(terminal_safe(std::string("x\0y", 3)), "xy");
    EXPECT_EQ(terminal_safe("C1 \xc2\x9b"
                            "31m and \xc2\x85 gone"),
              "C1 31m and  gone");
    EXPECT_EQ(terminal_safe("lone \x9b"
                            "2J, overlong \xc0\xaf, surrogate \xed\xa0\x80, cut \xe2\x96"),
              "lone 2J, overlong , surrogate , cut ");
}

TEST(LogQuote, EscapesEverythingThatIsNotPrintableAscii) {
    EXPECT_EQ(log_quote("alice"), "\"alice\"");
    EXPECT_EQ(log_quote("a\"b\\c\nd\x1b\xc3\xa9"), "\"a\\x22b\\x5cc\\x0ad\\x1b\\xc3\\xa9\"");
    const std::string quoted = log_quote(std::string(1000, 'x'));
    EXPECT_EQ(quoted, "\"" + std::string(256, 'x') + "\"...");
}

}  // namespace
}  // namespace kotp::pam
