// Every kotp-admin command against a live otpd, and its errors.
#include <sys/stat.h>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;

constexpr uid_t kNobody = 65534;

class AdminTest : public OtpdFixture {};

TEST_F(AdminTest, EnrollPrintsQrKeyStringAndUri) {
    const auto r = admin({"enroll", "alice", "--label", "phone"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("\u2588"));  // the QR code's blocks
    EXPECT_THAT(r.out, HasSubstr("Key string: "));
    EXPECT_THAT(r.out, HasSubstr("otpauth://totp/kotp:alice?secret="));
    EXPECT_THAT(r.out, HasSubstr("pending"));
}

TEST_F(AdminTest, EnrollJsonHasUserSecretUriAndTheTokenStaysPendingUntilTheFirstCode) {
    const auto json = admin_json({"enroll", "alice", "--label", "phone"});
    EXPECT_EQ(json_field(json, "user"), "alice");
    const auto secret = json_field(json, "secret");
    EXPECT_GE(secret.size(), 32u);
    EXPECT_THAT(json_field(json, "uri"), HasSubstr("secret=" + secret));
    EXPECT_THAT(admin_json({"show", "alice"}), HasSubstr("\"pending\""));
    ASSERT_EQ(login("alice", {totp(secret)}).exit_code, 0);
    const auto show = admin_json({"show", "alice"});
    EXPECT_THAT(show, HasSubstr("\"active\""));
    EXPECT_THAT(show, HasSubstr("\"phone\""));
    EXPECT_NE(json_field(show, "last_login"), "null");
}

TEST_F(AdminTest, JsonFlagIsAcceptedAfterTheCommand) {
    enroll("alice");
    const auto r = admin({"show", "alice", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json_field(r.out, "user"), "alice");
}

TEST_F(AdminTest, QrPngIsWrittenPrivately) {
    const auto png = dir + "/alice.png";
    ASSERT_EQ(admin({"enroll", "alice", "--qr-png", png}).exit_code, 0);
    const auto content = read_file(png);
    ASSERT_GT(content.size(), 8u);
    EXPECT_EQ(content.substr(1, 3), "PNG");
    struct stat st {};
    ASSERT_EQ(::stat(png.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AdminTest, QrPngDecodesToExactlyThePrintedUri) {
    const auto png = dir + "/bob.png";
    const auto json = admin_json({"enroll", "bob", "--qr-png", png});
    const auto decoded = run({"zbarimg", "--quiet", "--raw", png});
    ASSERT_EQ(decoded.exit_code, 0) << decoded.err;
    auto text = decoded.out;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    EXPECT_EQ(text, json_field(json, "uri"));
}

TEST_F(AdminTest, ListShowsEveryUserAcrossPages) {
    for (int i = 0; i < 205; ++i) {
        const auto r = admin({"enroll", "user" + std::to_string(1000 + i)});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    const auto json = admin_json({"list"});
    std::size_t count = 0;
    for (auto p = json.find("\"user\""); p != std::string::npos; p = json.find("\"user\"", p + 1)) ++count;
    EXPECT_EQ(count, 205u);
    const auto table = admin({"list"});
    EXPECT_THAT(table.out, HasSubstr("user1204"));
}

TEST_F(AdminTest, SuspendRefusesLoginsWithTheReasonAndUnlockLiftsIt) {
    const auto secret = enroll("alice");
    const auto r = admin({"suspend", "alice", "--reason", "lost phone"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto refused = login("alice", {totp(secret)});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_THAT(refused.out, HasSubstr("KS1005"));
    EXPECT_THAT(admin_json({"show", "alice"}), HasSubstr("lost phone"));
    ASSERT_EQ(admin({"unlock", "alice"}).exit_code, 0);
    EXPECT_EQ(login("alice", {totp(secret)}).exit_code, 0);
}

TEST_F(AdminTest, RemoveDeletesTheUser) {
    const auto secret = enroll("alice");
    ASSERT_EQ(admin({"remove", "alice"}).exit_code, 0);
    EXPECT_THAT(login("alice", {totp(secret)}).out, HasSubstr("KS1001"));
    const auto r = admin({"show", "alice"});
    EXPECT_EQ(r.exit_code, 5);
}

TEST_F(AdminTest, UnknownUserIsAOneLineErrorWithExitCode5) {
    const auto r = admin({"unlock", "ghost"});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_THAT(r.err, HasSubstr("KS1009"));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(AdminTest, UnreachableOtpdIsExitCode3) {
    const auto r = run({KOTP_ADMIN_PATH, "--socket", dir + "/nothing.sock", "list"});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_THAT(r.err, HasSubstr(dir + "/nothing.sock"));
}

TEST_F(AdminTest, KotpSocketEnvironmentVariableIsUsed) {
    RunOptions options;
    options.env = {"KOTP_SOCKET=" + socket_path};
    EXPECT_EQ(run({program(KOTP_ADMIN_PATH), "list"}, options).exit_code, 0);
}

TEST_F(AdminTest, BadOptionValuesAreUsageErrors) {
    for (const auto& args : std::vector<std::vector<std::string>>{{"enroll", "alice", "--digits", "7"},
                                                                  {"enroll", "alice", "--algorithm", "md5"},
                                                                  {"enroll", "alice", "--period", "45"},
                                                                  {"frobnicate"}}) {
        const auto r = admin(args);
        EXPECT_EQ(r.exit_code, 2) << args[0] << " " << r.err;
        EXPECT_FALSE(r.err.empty());
    }
}

TEST_F(AdminTest, InvalidUserNameIsRefusedByOtpd) {
    const auto r = admin({"enroll", "bad name;rm"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.err, HasSubstr("KS1014"));
}

TEST_F(AdminTest, NonRootCallersCannotUseAdminCommands) {
    enroll("alice");
    RunOptions as_nobody;
    as_nobody.uid = kNobody;
    as_nobody.gid = kNobody;
    for (const auto& args : std::vector<std::vector<std::string>>{{"list"}, {"unlock", "alice"}, {"enroll", "eve"}}) {
        const auto r = admin(args, as_nobody);
        EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
        EXPECT_THAT(r.err, HasSubstr("KS1008"));
    }
    EXPECT_THAT(read_file(log_path), HasSubstr("KS1008 admin request refused for uid=65534"));
}

TEST_F(AdminTest, ElevenTokensAreRefused) {
    for (int i = 0; i < 10; ++i) ASSERT_EQ(admin({"enroll", "alice"}).exit_code, 0);
    const auto r = admin({"enroll", "alice"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("KS1013"));
}

}  // namespace
}  // namespace kotp::integration
