// kotp-admin issue, reset, recovery, resync and the recovery/activation lines of show, against a
// scripted fake otpd: what they send, what they print (for people and with --json), how they exit.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli_test_support.hpp"
#include "commands.hpp"
#include "kotp/messages.hpp"

namespace {

using namespace kotp::admin;
using namespace std::chrono_literals;
using kotp::test::decode_request;
using kotp::test::FakeOtpd;
using kotp::test::reply_with;
using kotp::test::TempDir;
namespace wire = kotp::wire;

constexpr std::int64_t k2026_11_21_0900Z = 1795251600;

// Local times are printed in UTC here; the zone is put back afterwards.
class EnrolmentCommandsTest : public kotp::test::CapturedCommandTest {
  protected:
    void SetUp() override {
        if (const char* tz = std::getenv("TZ")) saved_tz_ = tz;
        ::setenv("TZ", "UTC", 1);
        ::tzset();
    }
    void TearDown() override {
        if (saved_tz_) {
            ::setenv("TZ", saved_tz_->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    static std::set<std::string> keys(const nlohmann::json& j) {
        std::set<std::string> names;
        for (const auto& item : j.items()) names.insert(item.key());
        return names;
    }

  private:
    std::optional<std::string> saved_tz_;
};

wire::ActivationIssued issued(const std::string& user, const std::string& code) {
    wire::ActivationIssued a;
    a.user = user;
    a.code = code;
    a.expires = k2026_11_21_0900Z;
    return a;
}

wire::ErrorReply refusal(wire::Status status, std::string text = {}) {
    wire::ErrorReply e;
    e.status = status;
    e.text = std::move(text);
    return e;
}

wire::RecoveryCodes ten_codes(const std::string& user) {
    wire::RecoveryCodes r;
    r.user = user;
    for (int i = 0; i < 10; ++i) r.codes.push_back("abcde-fgh" + std::to_string(i) + "k");
    return r;
}

// ---- DURATION ----

TEST(ParseValidity, PlainSecondsOrOneUnit) {
    EXPECT_EQ(parse_validity("1"), 1U);
    EXPECT_EQ(parse_validity("90"), 90U);
    EXPECT_EQ(parse_validity("30s"), 30U);
    EXPECT_EQ(parse_validity("5m"), 300U);
    EXPECT_EQ(parse_validity("72h"), 72U * 3600);
    EXPECT_EQ(parse_validity("2d"), 2U * 86400);
    EXPECT_EQ(parse_validity("366d"), 366U * 86400);
    EXPECT_EQ(parse_validity("31622400"), 366U * 86400);
    EXPECT_EQ(parse_validity("007m"), 420U);
}

TEST(ParseValidity, RefusesZeroTooLongAndAnythingElse) {
    for (const char* bad : {"",
                            "0",
                            "0s",
                            "0d",
                            "367d",
                            "31622401",
                            "8785h",
                            "s",
                            "h",
                            "-5",
                            "+5",
                            "5x",
                            "5 m",
                            " 5m",
                            "5m ",
                            "1.5h",
                            "1h30m",
                            "5M",
                            "5H",
                            "0x10",
                            "99999999999999999999",
                            "9999999999d",
                            "abc",
                            "5ms"}) {
        EXPECT_FALSE(parse_validity(bad).has_value()) << '"' << bad << '"';
    }
}

// ---- issue ----

TEST_F(EnrolmentCommandsTest, IssueSendsTheUserAndValidityAndShowsTheCodeOnce) {
    FakeOtpd otpd(dir_, {reply_with(issued("alice", "123456"))});
    EXPECT_EQ(run_issue(context(otpd.socket_path(), false), "alice", 300), kExitOk) << err_.str();
    ASSERT_EQ(otpd.requests().size(), 1U);
    const auto request = decode_request<wire::AdminIssue>(otpd.requests()[0]);
    EXPECT_EQ(request.user, "alice");
    EXPECT_EQ(request.valid_seconds, 300U);
    const std::string text = out_.str();
    EXPECT_EQ(text.rfind("Activation code for alice: 123456\n", 0), 0U) << text;
    EXPECT_NE(text.find("Valid until 2026-11-21 09:00, usable once."), std::string::npos) << text;
    EXPECT_EQ(text.find("Revoked"), std::string::npos) << text;
    EXPECT_TRUE(err_.str().empty()) << err_.str();
}

TEST_F(EnrolmentCommandsTest, IssueJsonIsUserCodeAndUtcExpiry) {
    FakeOtpd otpd(dir_, {reply_with(issued("alice", "012345"))});
    EXPECT_EQ(run_issue(context(otpd.socket_path(), true), "alice", 72 * 3600), kExitOk);
    EXPECT_EQ(decode_request<wire::AdminIssue>(otpd.requests().at(0)).valid_seconds, 72U * 3600);
    const nlohmann::json j = json_out();
    EXPECT_EQ(keys(j), (std::set<std::string>{"user", "code", "expires"})) << j.dump();
    EXPECT_EQ(j["user"], "alice");
    EXPECT_EQ(j["code"], "012345") << "a string: a leading zero is kept";
    EXPECT_EQ(j["expires"], "2026-11-21T09:00:00Z");
    EXPECT_TRUE(err_.str().empty()) << err_.str();
}

TEST_F(EnrolmentCommandsTest, IssueRefusedForANonAdminExitsFourWithAJsonError) {
    FakeOtpd otpd(dir_, {reply_with(refusal(wire::Status::PermissionDenied))});
    EXPECT_EQ(run_issue(context(otpd.socket_path(), true), "alice", 60), kExitPermission);
    EXPECT_EQ(err_.str(), "kotp-admin: KS1008: Permission denied for this request.\n");
    EXPECT_EQ(json_out()["error"]["code"], "KS1008");
}

TEST_F(EnrolmentCommandsTest, IssueOfAnInvalidUserNameExitsOneWithOtpdsReason) {
    FakeOtpd otpd(dir_,
                  {reply_with(refusal(wire::Status::InvalidArgument, "invalid user name '-x'"))});
    EXPECT_EQ(run_issue(context(otpd.socket_path(), false), "-x", 60), kExitRefused);
    EXPECT_NE(err_.str().find("KS1014"), std::string::npos) << err_.str();
    EXPECT_NE(err_.str().find("invalid user name '-x'"), std::string::npos) << err_.str();
    EXPECT_TRUE(out_.str().empty());
}

TEST_F(EnrolmentCommandsTest, AnActivationReplyWithoutACodeIsAProtocolError) {
    FakeOtpd otpd(dir_, {reply_with(issued("alice", ""))});
    EXPECT_EQ(run_issue(context(otpd.socket_path(), true), "alice", 60), kExitRefused);
    EXPECT_NE(err_.str().find("protocol error"), std::string::npos) << err_.str();
    EXPECT_EQ(json_out()["error"]["code"], "KS1011");
}

TEST_F(EnrolmentCommandsTest, IssueExpectsActivationIssuedNotAnotherReply) {
    FakeOtpd otpd(dir_, {reply_with(wire::Done{})});
    EXPECT_EQ(run_issue(context(otpd.socket_path(), false), "alice", 60), kExitRefused);
    EXPECT_NE(err_.str().find("expected ActivationIssued (type 134), got Done (type 133)"),
              std::string::npos)
        << err_.str();
}

TEST_F(EnrolmentCommandsTest, ControlCharactersInTheCodeAreNotPrinted) {
    FakeOtpd otpd(dir_, {reply_with(issued("al\x1b]0;x\aice", "12\x1b[2J34"))});
    EXPECT_EQ(run_issue(context(otpd.socket_path(), false), "alice", 60), kExitOk);
    EXPECT_EQ(out_.str().find('\x1b'), std::string::npos) << out_.str();
    EXPECT_EQ(out_.str().find('\a'), std::string::npos) << out_.str();
}

// ---- reset ----

TEST_F(EnrolmentCommandsTest, ResetSaysWhatWasRevokedAndGivesTheNewCode) {
    FakeOtpd otpd(dir_, {reply_with(issued("alice", "654321"))});
    EXPECT_EQ(run_reset(context(otpd.socket_path(), false), "alice", 2 * 86400), kExitOk)
        << err_.str();
    const auto request = decode_request<wire::AdminReset>(otpd.requests().at(0));
    EXPECT_EQ(request.user, "alice");
    EXPECT_EQ(request.valid_seconds, 2U * 86400);
    const std::string text = out_.str();
    EXPECT_NE(text.find("Revoked every token and every recovery code of alice"), std::string::npos)
        << text;
    EXPECT_NE(text.find("\nActivation code for alice: 654321\n"), std::string::npos) << text;
    EXPECT_NE(text.find("usable once"), std::string::npos) << text;
}

TEST_F(EnrolmentCommandsTest, ResetJsonHasTheShapeOfIssue) {
    FakeOtpd otpd(dir_, {reply_with(issued("alice", "654321"))});
    EXPECT_EQ(run_reset(context(otpd.socket_path(), true), "alice", 60), kExitOk);
    const nlohmann::json j = json_out();
    EXPECT_EQ(keys(j), (std::set<std::string>{"user", "code", "expires"})) << j.dump();
    EXPECT_EQ(j["code"], "654321");
    EXPECT_EQ(j["expires"], "2026-11-21T09:00:00Z");
}

TEST_F(EnrolmentCommandsTest, ResetOfAnUnknownUserExitsFive) {
    FakeOtpd otpd(dir_, {reply_with(refusal(wire::Status::UnknownUser, "no user 'bob'"))});
    EXPECT_EQ(run_reset(context(otpd.socket_path(), false), "bob", 60), kExitUnknownUser);
    EXPECT_EQ(err_.str(),
              "kotp-admin: KS1009: No such user is enrolled in kotp. (no user 'bob')\n");
    EXPECT_TRUE(out_.str().empty()) << "nothing says the tokens were revoked";
}

// ---- recovery ----

TEST_F(EnrolmentCommandsTest, RecoveryPrintsTheTenCodesOnePerLineWithTheNote) {
    FakeOtpd otpd(dir_, {reply_with(ten_codes("alice"))});
    EXPECT_EQ(run_recovery(context(otpd.socket_path(), false), "alice"), kExitOk) << err_.str();
    EXPECT_EQ(decode_request<wire::AdminRecovery>(otpd.requests().at(0)).user, "alice");
    const std::string text = out_.str();
    std::istringstream lines(text);
    std::string line;
    int codes = 0;
    while (std::getline(lines, line))
        if (line.rfind("  abcde-fgh", 0) == 0) ++codes;
    EXPECT_EQ(codes, 10) << text;
    for (const auto& code : ten_codes("alice").codes)
        EXPECT_NE(text.find("  " + code + "\n"), std::string::npos) << code;
    EXPECT_NE(text.find("replace any earlier set"), std::string::npos) << text;
    EXPECT_NE(text.find("works once"), std::string::npos) << text;
}

TEST_F(EnrolmentCommandsTest, RecoveryJsonIsUserAndTheListOfCodes) {
    FakeOtpd otpd(dir_, {reply_with(ten_codes("alice"))});
    EXPECT_EQ(run_recovery(context(otpd.socket_path(), true), "alice"), kExitOk);
    const nlohmann::json j = json_out();
    EXPECT_EQ(keys(j), (std::set<std::string>{"user", "codes"})) << j.dump();
    EXPECT_EQ(j["user"], "alice");
    ASSERT_TRUE(j["codes"].is_array());
    ASSERT_EQ(j["codes"].size(), 10U);
    EXPECT_EQ(j["codes"][0], "abcde-fgh0k");
    EXPECT_EQ(j["codes"][9], "abcde-fgh9k");
}

TEST_F(EnrolmentCommandsTest, RecoveryWithoutCodesIsAProtocolError) {
    wire::RecoveryCodes none;
    none.user = "alice";
    FakeOtpd otpd(dir_, {reply_with(none)});
    EXPECT_EQ(run_recovery(context(otpd.socket_path(), false), "alice"), kExitRefused);
    EXPECT_NE(err_.str().find("protocol error"), std::string::npos) << err_.str();
    EXPECT_TRUE(out_.str().empty());
}

TEST_F(EnrolmentCommandsTest, RecoveryForAnUnknownUserExitsFive) {
    FakeOtpd otpd(dir_, {reply_with(refusal(wire::Status::UnknownUser))});
    EXPECT_EQ(run_recovery(context(otpd.socket_path(), true), "bob"), kExitUnknownUser);
    EXPECT_EQ(json_out()["error"]["code"], "KS1009");
}

// ---- resync ----

TEST_F(EnrolmentCommandsTest, ResyncSendsBothCodesAndPrintsOtpdsText) {
    wire::Done done;
    done.text = "Resynchronised token 1 of alice: clock drift 20 step(s).";
    FakeOtpd otpd(dir_, {reply_with(done)});
    EXPECT_EQ(run_resync(context(otpd.socket_path(), false), "alice", "123456", "654321"), kExitOk);
    const auto request = decode_request<wire::AdminResync>(otpd.requests().at(0));
    EXPECT_EQ(request.user, "alice");
    EXPECT_EQ(request.code1, "123456");
    EXPECT_EQ(request.code2, "654321");
    EXPECT_EQ(out_.str(), done.text + "\n");
}

TEST_F(EnrolmentCommandsTest, ResyncJsonIsTheDoneDocument) {
    FakeOtpd otpd(dir_, {reply_with(wire::Done{})});
    EXPECT_EQ(run_resync(context(otpd.socket_path(), true), "alice", "1", "2"), kExitOk);
    EXPECT_EQ(json_out(), nlohmann::json::parse(
                              R"({"ok":true,"user":"alice","message":"alice resynchronised."})"));
}

TEST_F(EnrolmentCommandsTest, ResyncWithCodesOfNoTokenExitsOne) {
    FakeOtpd otpd(dir_, {reply_with(refusal(wire::Status::WrongCode,
                                            "the two codes are not consecutive codes of any "
                                            "token of alice near now"))});
    EXPECT_EQ(run_resync(context(otpd.socket_path(), true), "alice", "111111", "222222"),
              kExitRefused);
    EXPECT_NE(err_.str().find("KS1003"), std::string::npos) << err_.str();
    EXPECT_NE(err_.str().find("not consecutive"), std::string::npos) << err_.str();
    EXPECT_EQ(json_out()["error"]["code"], "KS1003");
}

TEST_F(EnrolmentCommandsTest, OverlongCodeIsAUsageErrorAndNothingIsSent) {
    EXPECT_EQ(run_resync(context(dir_.file("no.sock"), false), "alice",
                         std::string(wire::kMaxCodeText + 1, '1'), "123456"),
              kExitUsage);
}

// ---- show: recovery codes left and a pending activation ----

TEST_F(EnrolmentCommandsTest, ShowCountsRecoveryCodesAndAPendingActivation) {
    wire::UserInfo info;
    info.user = "alice";
    info.recovery_left = 7;
    info.activation_expires = k2026_11_21_0900Z;
    FakeOtpd otpd(dir_, {reply_with(info), reply_with(info)});
    EXPECT_EQ(run_show(context(otpd.socket_path(), false), "alice"), kExitOk);
    const std::string text = out_.str();
    EXPECT_NE(text.find("Recovery:    7 code(s) left\n"), std::string::npos) << text;
    EXPECT_NE(text.find("activation code pending until 2026-11-21 09:00\n"), std::string::npos)
        << text;
    out_.str("");
    EXPECT_EQ(run_show(context(otpd.socket_path(), true), "alice"), kExitOk);
    const nlohmann::json j = json_out();
    EXPECT_EQ(j["recovery_left"], 7);
    EXPECT_EQ(j["activation_expires"], "2026-11-21T09:00:00Z");
}

TEST_F(EnrolmentCommandsTest, ShowWithoutAnActivationHasNoPendingLineAndANull) {
    wire::UserInfo info;
    info.user = "alice";
    FakeOtpd otpd(dir_, {reply_with(info), reply_with(info)});
    EXPECT_EQ(run_show(context(otpd.socket_path(), false), "alice"), kExitOk);
    EXPECT_NE(out_.str().find("Recovery:    0 code(s) left\n"), std::string::npos) << out_.str();
    EXPECT_EQ(out_.str().find("pending until"), std::string::npos) << out_.str();
    out_.str("");
    EXPECT_EQ(run_show(context(otpd.socket_path(), true), "alice"), kExitOk);
    const nlohmann::json j = json_out();
    EXPECT_EQ(j["recovery_left"], 0);
    ASSERT_TRUE(j.contains("activation_expires"));
    EXPECT_TRUE(j["activation_expires"].is_null());
}

}  // namespace
