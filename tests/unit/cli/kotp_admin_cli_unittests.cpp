// The kotp-admin executable: option parsing, --json on either side of the command, exit statuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli_test_support.hpp"
#include "kotp/messages.hpp"

namespace {

using kotp::test::FakeOtpd;
using kotp::test::reply_with;
using kotp::test::RunResult;
using kotp::test::TempDir;
namespace wire = kotp::wire;

RunResult kotp_admin(const std::vector<std::string>& args,
                     const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv{KOTP_ADMIN_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    kotp::test::RunOptions options;
    options.env = env;
    return kotp::test::run(argv, options);
}

int count_lines(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(KotpAdminCli, HelpListsCommandsAndExitStatuses) {
    const RunResult r = kotp_admin({"--help"});
    EXPECT_EQ(r.exit_code, 0);
    for (const char* word : {"enroll", "list", "show", "unlock", "suspend", "remove", "--json",
                             "--socket", "--timeout", "KOTP_SOCKET", "Exit status"})
        EXPECT_NE(r.out.find(word), std::string::npos) << word;
}

TEST(KotpAdminCli, BadValueIsAUsageError) {
    const RunResult r = kotp_admin({"enroll", "alice", "--digits", "7"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err,
              "kotp-admin: --digits: 7 not in {6,8}\nRun with --help for more information.\n");
    EXPECT_TRUE(r.out.empty());
}

TEST(KotpAdminCli, UsageErrorsAreOneLinePlusTheHint) {
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {},
             {"frobnicate"},
             {"show"},
             {"show", "a", "b"},
             {"enroll", "alice", "--type", "motp"},
             {"enroll", "alice", "--algorithm", "md5"},
             {"enroll", "alice", "--period", "45"},
             {"enroll", "alice", "--type", "hotp", "--period", "60"},
             {"enroll", "alice", "--qr-png", "/nonexistent/dir/a.png"},
             {"enroll", "alice", "--label", std::string(65, 'x')},
             {"--timeout", "0", "list"},
             {"suspend", "alice", "--reason", "a\nb"}}) {
        const RunResult r = kotp_admin(args);
        EXPECT_EQ(r.exit_code, 2) << testing::PrintToString(args);
        EXPECT_EQ(count_lines(r.err), 2) << r.err;
        EXPECT_NE(r.err.find("\nRun with --help for more information.\n"), std::string::npos)
            << r.err;
    }
}

TEST(KotpAdminCli, UnknownCommandIsNamed) {
    const RunResult r = kotp_admin({"frobnicate"});
    EXPECT_EQ(r.err.rfind("kotp-admin: unknown command: frobnicate\n", 0), 0U) << r.err;
}

TEST(KotpAdminCli, MissingSocketExitsThree) {
    TempDir dir;
    const RunResult r = kotp_admin({"--socket", dir.file("none.sock"), "list"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.err, "kotp-admin: cannot talk to otpd at " + dir.file("none.sock") +
                         ": socket not found\n");
}

TEST(KotpAdminCli, SocketFromTheEnvironment) {
    TempDir dir;
    const RunResult r = kotp_admin({"list"}, {"KOTP_SOCKET=" + dir.file("env.sock")});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_NE(r.err.find(dir.file("env.sock")), std::string::npos) << r.err;
}

TEST(KotpAdminCli, JsonBeforeOrAfterTheCommand) {
    TempDir dir;
    const std::string socket = dir.file("none.sock");
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"--json", "--socket", socket, "show", "alice"},
                                               {"show", "alice", "--json", "--socket", socket},
                                               {"show", "--json", "alice", "--socket", socket}}) {
        const RunResult r = kotp_admin(args);
        EXPECT_EQ(r.exit_code, 3);
        const auto j = nlohmann::json::parse(r.out);
        EXPECT_EQ(j["error"]["code"], "KC2001") << r.out;
    }
}

TEST(KotpAdminCli, EnrollJsonAgainstAFakeOtpd) {
    TempDir dir;
    wire::Enrolled enrolled;
    enrolled.user = "alice";
    enrolled.token_id = 1;
    enrolled.secret = "JBSWY3DPEHPK3PXP";
    enrolled.uri = "otpauth://totp/kotp:alice?secret=JBSWY3DPEHPK3PXP&issuer=kotp&digits=8";
    FakeOtpd otpd(dir, {reply_with(enrolled)});
    const RunResult r = kotp_admin({"enroll", "alice", "--digits", "8", "--algorithm", "SHA512",
                                    "--json", "--socket", otpd.socket_path()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["secret"], "JBSWY3DPEHPK3PXP");
    EXPECT_EQ(j["algorithm"], "sha512");
    EXPECT_EQ(j["digits"], 8);
    EXPECT_EQ(j["period"], 30);
    const auto request = kotp::test::decode_request<wire::AdminEnroll>(otpd.requests().at(0));
    EXPECT_EQ(request.algorithm, wire::Algorithm::Sha512);
    EXPECT_EQ(request.digits, 8);
    EXPECT_EQ(request.period, 30);
}

TEST(KotpAdminCli, UnknownUserExitsFive) {
    TempDir dir;
    wire::ErrorReply refusal;
    refusal.status = wire::Status::UnknownUser;
    FakeOtpd otpd(dir, {reply_with(refusal)});
    const RunResult r = kotp_admin({"--socket", otpd.socket_path(), "remove", "bob"});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(r.err, "kotp-admin: KS1009: No such user is enrolled in kotp.\n");
}

}  // namespace
