// kotp-admin import against a live otpd, then real logins through libpam with codes from
// oathtool: a migration is only done when the imported users can log in.
#include <chrono>
#include <filesystem>
#include <regex>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;

class ImportTest : public OtpdFixture {
protected:
    std::string write(const std::string& name, const std::string& text) {
        const auto path = dir + "/" + name;
        write_file(path, text);
        return path;
    }
    RunResult import(const std::string& format, const std::vector<std::string>& files) {
        std::vector<std::string> args = {"import", "--format", format};
        args.insert(args.end(), files.begin(), files.end());
        return admin(args);
    }
};

TEST_F(ImportTest, CsvUsersLogInWithTheirOldSecrets) {
    const std::string alice = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    const std::string bob_hex = "3132333435363738393031323334353637383930313233343536373839303132";
    const auto file = write("users.csv", "user,secret,type,algorithm,digits,period\n"
                                         "# from the old system\n"
                                         "alice," + alice + "\n"
                                         "bob," + bob_hex + ",totp,sha256,8,60\r\n");
    const auto r = import("csv", {file});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("Imported 2 of 2 token(s) (active)"));
    EXPECT_EQ(login("alice", {totp(alice)}).exit_code, 0);
    const auto bob = run({"oathtool", "--totp=sha256", "--digits=8", "--time-step-size=60s", bob_hex});
    ASSERT_EQ(bob.exit_code, 0);
    EXPECT_EQ(login("bob", {bob.out.substr(0, 8)}).exit_code, 0);
    EXPECT_THAT(admin({"show", "alice"}).out, HasSubstr("active"));

    // Importing again gives nobody a second copy of the secret.
    const auto again = import("csv", {file});
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_THAT(again.err, HasSubstr("alice: already has a token"));
}

TEST_F(ImportTest, OneBadLineImportsNothingAndNamesFileAndLine) {
    const auto file = write("users.csv", "carol,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\ndave,not-a-secret!\n");
    const auto r = import("csv", {file});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr(file + ":2:"));
    EXPECT_THAT(r.err, HasSubstr("nothing was imported"));
    EXPECT_EQ(admin({"show", "carol"}).exit_code, 5);
}

TEST_F(ImportTest, GoogleAuthenticatorFileWithScratchCodes) {
    // A real file from google-authenticator-libpam's own tool, named after its user.
    const auto file = dir + "/erin.google_authenticator";
    const auto made = run({"google-authenticator", "-t", "-d", "-f", "-r", "3", "-R", "30", "-w", "3", "-e", "5",
                           "-Q", "NONE", "-q", "-s", file});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    const auto text = read_file(file);
    const auto secret = text.substr(0, text.find('\n'));
    std::smatch m;
    const std::string rest = text.substr(text.find('\n') + 1);
    ASSERT_TRUE(std::regex_search(rest, m, std::regex("(^|\n)([0-9]{8})\n")));
    const auto scratch = m[2].str();

    const auto r = import("google-authenticator", {file});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(login("erin", {totp(secret)}).exit_code, 0);
    EXPECT_THAT(admin({"show", "erin"}).out, HasSubstr("Recovery:    5 code(s) left"));
    const auto with_scratch = login("erin", {scratch});
    EXPECT_EQ(with_scratch.exit_code, 0) << with_scratch.out;
    EXPECT_THAT(with_scratch.out, HasSubstr("recovery code"));
    EXPECT_NE(login("erin", {scratch}).exit_code, 0);  // each works once
}

TEST_F(ImportTest, PamOathUsersFileTotpAndHotp) {
    const std::string hex = "3132333435363738393031323334353637383930";
    const auto file = write("users.oath", "# pam_oath\n"
                                          "HOTP/T30/6 frank - " + hex + "\n"
                                          "HOTP gina - " + hex + " 4\n");
    const auto r = import("oath", {file});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto frank = run({"oathtool", "--totp", hex});
    EXPECT_EQ(login("frank", {frank.out.substr(0, 6)}).exit_code, 0);
    // Counter 4 with no last OTP: the next code liboath would accept is counter 4's.
    const auto gina = run({"oathtool", "--hotp", "-c", "4", hex});
    EXPECT_EQ(login("gina", {gina.out.substr(0, 6)}).exit_code, 0);
}

TEST_F(ImportTest, HundredThousandUsersInOneImport) {
    std::string csv = "user,secret\n";
    csv.reserve(100000 * 50);
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::vector<std::string> secrets;
    for (int i = 0; i < 100000; ++i) {
        std::string s;
        for (int j = 0; j < 32; ++j) s.push_back(alphabet[static_cast<std::size_t>((i * 7 + j * 13 + i / 32 * j) % 32)]);
        std::string name = "u" + std::to_string(100000 + i);
        csv += name + "," + s + "\n";
        if (i % 25000 == 0) secrets.push_back(s);
    }
    const auto file = write("big.csv", csv);
    const auto start = std::chrono::steady_clock::now();
    RunOptions options;
    options.timeout = std::chrono::seconds(300);
    const auto r = admin({"import", file}, options);
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Imported 100000 of 100000"));
    std::cout << "imported 100000 users in " << seconds << " s\n";  // measured, not asserted
    for (std::size_t k = 0; k < secrets.size(); ++k)
        EXPECT_EQ(login("u" + std::to_string(100000 + k * 25000), {totp(secrets[k])}).exit_code, 0) << k;
}

}  // namespace
}  // namespace kotp::integration
