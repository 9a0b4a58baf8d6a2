// The commands against a scripted fake otpd: what they send, what they print, how they exit.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_test_support.hpp"
#include "commands.hpp"
#include "kotp/messages.hpp"

namespace {

using namespace kotp::admin;
using namespace std::chrono_literals;
using kotp::test::FakeOtpd;
using kotp::test::reply_with;
using kotp::test::ScriptedReply;
using kotp::test::TempDir;
namespace wire = kotp::wire;

using CommandsTest = kotp::test::CapturedCommandTest;

wire::ErrorReply refusal(wire::Status status, std::string text) {
    wire::ErrorReply e;
    e.status = status;
    e.text = std::move(text);
    return e;
}

wire::UserSummary summary(const std::string& name) {
    wire::UserSummary u;
    u.user = name;
    return u;
}

wire::Enrolled enrolled_alice() {
    wire::Enrolled e;
    e.user = "alice";
    e.token_id = 3;
    e.label = "phone";
    e.secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    e.uri =
        "otpauth://hotp/kotp:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=kotp&"
        "algorithm=SHA256&digits=8&counter=0";
    return e;
}

TEST_F(CommandsTest, EnrollSendsTheOptionsAndShowsQrKeyStringAndUri) {
    FakeOtpd otpd(dir_, {reply_with(enrolled_alice())});
    EnrollOptions options;
    options.user = "alice";
    options.type = wire::TokenType::Hotp;
    options.algorithm = wire::Algorithm::Sha256;
    options.digits = 8;
    options.label = "phone";
    EXPECT_EQ(run_enroll(context(otpd.socket_path(), false), options), kExitOk) << err_.str();

    ASSERT_EQ(otpd.requests().size(), 1U);
    const auto request = kotp::test::decode_request<wire::AdminEnroll>(otpd.requests()[0]);
    EXPECT_EQ(request.user, "alice");
    EXPECT_EQ(request.type, wire::TokenType::Hotp);
    EXPECT_EQ(request.algorithm, wire::Algorithm::Sha256);
    EXPECT_EQ(request.digits, 8);
    EXPECT_EQ(request.label, "phone");

    const std::string text = out_.str();
    EXPECT_EQ(text.rfind("\u2588\u2588\u2588\u2588", 0), 0U) << "starts with the QR code";
    EXPECT_NE(text.find("\nKey string: JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP\n"),
              std::string::npos);
    EXPECT_NE(text.find("\nURI: " + enrolled_alice().uri + "\n"), std::string::npos);
    EXPECT_NE(text.find("Token 3 (phone) stays pending until alice's first code"),
              std::string::npos);
    EXPECT_TRUE(err_.str().empty()) << err_.str();
}

TEST_F(CommandsTest, EnrollJsonWithPng) {
    FakeOtpd otpd(dir_, {reply_with(enrolled_alice())});
    EnrollOptions options;
    options.user = "alice";
    options.type = wire::TokenType::Hotp;
    options.algorithm = wire::Algorithm::Sha256;
    options.digits = 8;
    options.qr_png = dir_.file("alice.png");
    EXPECT_EQ(run_enroll(context(otpd.socket_path(), true), options), kExitOk) << err_.str();
    const nlohmann::json j = json_out();
    EXPECT_EQ(j["user"], "alice");
    EXPECT_EQ(j["token_id"], 3);
    EXPECT_EQ(j["label"], "phone");
    EXPECT_EQ(j["secret"], "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
    EXPECT_EQ(j["uri"], enrolled_alice().uri);
    EXPECT_EQ(j["type"], "hotp");
    EXPECT_EQ(j["algorithm"], "sha256");
    EXPECT_EQ(j["digits"], 8);
    EXPECT_TRUE(j["period"].is_null());
    EXPECT_EQ(j["state"], "pending");
    EXPECT_EQ(j["qr_png"], dir_.file("alice.png"));
    struct stat st {};
    ASSERT_EQ(::stat(dir_.file("alice.png").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
}

TEST_F(CommandsTest, EnrollStillShowsTheSecretWhenThePngFails) {
    FakeOtpd otpd(dir_, {reply_with(enrolled_alice())});
    EnrollOptions options;
    options.user = "alice";
    options.qr_png = dir_.file("gone/alice.png");
    EXPECT_EQ(run_enroll(context(otpd.socket_path(), false), options), kExitRefused);
    EXPECT_NE(out_.str().find("Key string: "), std::string::npos);
    EXPECT_NE(err_.str().find("the token was enrolled"), std::string::npos) << err_.str();
}

TEST_F(CommandsTest, ListPagesUntilNoMore) {
    wire::UserList first;
    first.users = {summary("alice"), summary("bob")};
    first.more = true;
    wire::UserList second;
    second.users = {summary("carol")};
    second.users[0].state = wire::UserState::Suspended;
    second.users[0].failures = 5;
    FakeOtpd otpd(dir_, {reply_with(first), reply_with(second)});
    EXPECT_EQ(run_list(context(otpd.socket_path(), true)), kExitOk) << err_.str();

    ASSERT_EQ(otpd.requests().size(), 2U);
    const auto page1 = kotp::test::decode_request<wire::AdminList>(otpd.requests()[0]);
    EXPECT_EQ(page1.after, "");
    EXPECT_EQ(page1.limit, wire::kMaxListPage);
    const auto page2 = kotp::test::decode_request<wire::AdminList>(otpd.requests()[1]);
    EXPECT_EQ(page2.after, "bob");

    const nlohmann::json j = json_out();
    ASSERT_EQ(j["users"].size(), 3U);
    EXPECT_EQ(j["users"][2]["user"], "carol");
    EXPECT_EQ(j["users"][2]["state"], "suspended");
    EXPECT_EQ(j["users"][2]["failures"], 5);
    EXPECT_TRUE(j["users"][2]["last_login"].is_null());
}

TEST_F(CommandsTest, ListRefusesAPageThatDoesNotAdvance) {
    wire::UserList stuck;
    stuck.users = {summary("alice")};
    stuck.more = true;
    wire::UserList backwards;
    backwards.users = {summary("aaron")};
    backwards.more = true;
    FakeOtpd otpd(dir_, {reply_with(stuck), reply_with(backwards)});
    EXPECT_EQ(run_list(context(otpd.socket_path(), false)), kExitRefused);
    EXPECT_NE(err_.str().find("protocol error"), std::string::npos) << err_.str();
}

TEST_F(CommandsTest, ShowForPeople) {
    wire::UserInfo info;
    info.user = "alice";
    info.failures = 2;
    FakeOtpd otpd(dir_, {reply_with(info)});
    EXPECT_EQ(run_show(context(otpd.socket_path(), false), "alice"), kExitOk) << err_.str();
    EXPECT_EQ(kotp::test::decode_request<wire::AdminShow>(otpd.requests().at(0)).user, "alice");
    EXPECT_NE(out_.str().find("State:       active\n"), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("Failures:    2\n"), std::string::npos) << out_.str();
    EXPECT_NE(out_.str().find("Tokens:      none\n"), std::string::npos) << out_.str();
}

TEST_F(CommandsTest, UnknownUserExitsFiveWithTheStatusLine) {
    FakeOtpd otpd(dir_, {reply_with(refusal(wire::Status::UnknownUser, "no user 'bob'"))});
    EXPECT_EQ(run_show(context(otpd.socket_path(), true), "bob"), kExitUnknownUser);
    EXPECT_EQ(err_.str(),
              "kotp-admin: KS1009: No such user is enrolled in kotp. (no user 'bob')\n");
    const nlohmann::json j = json_out();
    EXPECT_EQ(j["error"]["code"], "KS1009");
    EXPECT_EQ(j["error"]["message"], "No such user is enrolled in kotp. (no user 'bob')");
    EXPECT_EQ(j["error"]["remedy"], "Check the name with 'kotp-admin list'.");
}

TEST_F(CommandsTest, PermissionDeniedExitsFour) {
    FakeOtpd otpd(dir_, {reply_with(refusal(wire::Status::PermissionDenied, ""))});
    EXPECT_EQ(run_list(context(otpd.socket_path(), false)), kExitPermission);
    EXPECT_EQ(err_.str(), "kotp-admin: KS1008: Permission denied for this request.\n");
    EXPECT_TRUE(out_.str().empty());
}

TEST_F(CommandsTest, OtherRefusalsExitOneWithoutRepeatingTheCause) {
    FakeOtpd otpd(dir_, {reply_with(refusal(wire::Status::TokenLimit,
                                            "This user already has the maximum of 10 tokens."))});
    EnrollOptions options;
    options.user = "alice";
    EXPECT_EQ(run_enroll(context(otpd.socket_path(), false), options), kExitRefused);
    EXPECT_EQ(err_.str(), "kotp-admin: KS1013: This user already has the maximum of 10 tokens.\n");
}

TEST_F(CommandsTest, ControlCharactersFromOtpdAreNotPrinted) {
    FakeOtpd otpd(dir_, {reply_with(refusal(wire::Status::InternalError, "disk\x1b[2J full"))});
    EXPECT_EQ(run_unlock(context(otpd.socket_path(), false), "alice"), kExitRefused);
    EXPECT_EQ(err_.str().find('\x1b'), std::string::npos);
}

TEST_F(CommandsTest, UnexpectedReplyTypeIsAProtocolError) {
    wire::Done done;
    done.text = "ok";
    FakeOtpd otpd(dir_, {reply_with(done)});
    EXPECT_EQ(run_show(context(otpd.socket_path(), true), "alice"), kExitRefused);
    EXPECT_NE(err_.str().find("protocol error: expected UserInfo (type 132), got Done (type 133)"),
              std::string::npos)
        << err_.str();
    EXPECT_EQ(json_out()["error"]["code"], "KS1011");
}

TEST_F(CommandsTest, MalformedReplyIsAProtocolError) {
    ScriptedReply bad = reply_with(wire::Done{});
    bad.reply.push_back(0);  // a trailing byte the header does not count
    bad.reply[3] = static_cast<std::uint8_t>(bad.reply[3] + 1);  // now it does: trailing bytes
    FakeOtpd otpd(dir_, {bad});
    EXPECT_EQ(run_remove(context(otpd.socket_path(), false), "alice"), kExitRefused);
    EXPECT_NE(err_.str().find("malformed Done (type 133) reply"), std::string::npos) << err_.str();
}

TEST_F(CommandsTest, DoneCommandsPrintTheText) {
    wire::Done done;
    done.text = "alice: suspended";
    FakeOtpd otpd(dir_, {reply_with(done)});
    EXPECT_EQ(run_suspend(context(otpd.socket_path(), true), "alice", "left the lab"), kExitOk);
    const auto request = kotp::test::decode_request<wire::AdminSuspend>(otpd.requests().at(0));
    EXPECT_EQ(request.user, "alice");
    EXPECT_EQ(request.reason, "left the lab");
    EXPECT_EQ(json_out(),
              nlohmann::json::parse(R"({"ok":true,"user":"alice","message":"alice: suspended"})"));
}

TEST_F(CommandsTest, DoneWithoutTextSaysWhatHappened) {
    FakeOtpd otpd(dir_, {reply_with(wire::Done{}), reply_with(wire::Done{})});
    EXPECT_EQ(run_unlock(context(otpd.socket_path(), false), "alice"), kExitOk);
    EXPECT_EQ(run_remove(context(otpd.socket_path(), false), "bob"), kExitOk);
    EXPECT_EQ(out_.str(), "alice unlocked.\nbob removed.\n");
    ASSERT_EQ(otpd.requests().size(), 2U);
    EXPECT_EQ(otpd.requests()[0].type, wire::MessageType::AdminUnlock);
    EXPECT_EQ(otpd.requests()[1].type, wire::MessageType::AdminRemove);
}

TEST_F(CommandsTest, MissingSocketExitsThreeAndNamesThePath) {
    const std::string path = dir_.file("no.sock");
    EXPECT_EQ(run_list(context(path, true)), kExitUnreachable);
    EXPECT_EQ(err_.str(), "kotp-admin: cannot talk to otpd at " + path + ": socket not found\n");
    EXPECT_EQ(json_out()["error"]["code"], "KC2001");
}

TEST_F(CommandsTest, SocketOfAnotherUserIsNotTrusted) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the socket to another user";
    FakeOtpd otpd(dir_, std::vector<ScriptedReply>{});
    ASSERT_EQ(::chown(otpd.socket_path().c_str(), 65534, 65534), 0);
    EXPECT_EQ(run_list(context(otpd.socket_path(), true)), kExitUnreachable);
    EXPECT_NE(err_.str().find("not owned by root or _otpd"), std::string::npos) << err_.str();
    EXPECT_EQ(json_out()["error"]["code"], "KC2002");
}

TEST_F(CommandsTest, NoReplyInTimeExitsThree) {
    FakeOtpd otpd(dir_, {ScriptedReply{kotp::wire::encode_frame(wire::Done{}), 600ms}});
    Context ctx = context(otpd.socket_path(), false);
    ctx.timeout = 100ms;
    EXPECT_EQ(run_unlock(ctx, "alice"), kExitUnreachable);
    EXPECT_NE(err_.str().find("timed out"), std::string::npos) << err_.str();
}

TEST_F(CommandsTest, HangUpWithoutReplyExitsThree) {
    FakeOtpd otpd(dir_, {ScriptedReply{{}, -1ms}});
    EXPECT_EQ(run_unlock(context(otpd.socket_path(), false), "alice"), kExitUnreachable);
    EXPECT_NE(err_.str().find("closed the connection"), std::string::npos) << err_.str();
}

TEST_F(CommandsTest, OverlongValueIsAUsageErrorAndNothingIsSent) {
    const std::string path = dir_.file("no.sock");
    EXPECT_EQ(run_show(context(path, false), std::string(wire::kMaxUserName + 1, 'a')), kExitUsage);
}

}  // namespace
