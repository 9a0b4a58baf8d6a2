// google-authenticator-libpam secret files: literal samples, files written at test time by the
// real google-authenticator tool, and whose file it is.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "import_formats.hpp"
#include "import_test_helpers.hpp"
#include "process.hpp"

namespace {

using namespace kotp::import_test;
using kotp::admin::google_authenticator_user;
using kotp::admin::ImportFormat;
using kotp::admin::parse_google_authenticator;
using kotp::admin::read_import_file;
using kotp::wire::Algorithm;
using kotp::wire::TokenType;

// Written by google-authenticator 20191231 (Debian 12) with -t -d -r 3 -R 30 -w 3, then used for a
// few logins (the module appended the time stamps to RATE_LIMIT and DISALLOW_REUSE).
constexpr const char* kTotpFile =
    "ZHQPHQZVVGCBDHUZ7XED2OYKOU\n"
    "\" RATE_LIMIT 3 30 1767225601 1767225612\n"
    "\" WINDOW_SIZE 3\n"
    "\" DISALLOW_REUSE 58907520 58907521\n"
    "\" TOTP_AUTH\n"
    "68303377\n"
    "45207397\n"
    "32080735\n"
    "94772209\n"
    "37693015\n";

// Written by google-authenticator -c -w 5 -u -e 2, which printed
// "Your verification code for code 1 is 752988".
constexpr const char* kHotpFile =
    "2FUPYRSJFGC2KD2ZL2SG7E5O2Q\n"
    "\" WINDOW_SIZE 5\n"
    "\" HOTP_COUNTER 1\n"
    "59453745\n"
    "33381617\n";

TEST(GoogleAuthenticatorImport, TotpSample) {
    const auto r = parse_google_authenticator(kTotpFile, "/home/alice/.google_authenticator", "alice");
    EXPECT_TRUE(r.errors.empty()) << ::testing::PrintToString(error_lines(r));
    ASSERT_EQ(r.entries.size(), 1U);
    const auto& e = r.entries[0];
    EXPECT_EQ(e.user, "alice");
    EXPECT_EQ(e.origin, "/home/alice/.google_authenticator:1");
    EXPECT_EQ(e.type, TokenType::Totp);
    EXPECT_EQ(e.algorithm, Algorithm::Sha1);
    EXPECT_EQ(e.digits, 6U);
    EXPECT_EQ(e.period, 30U);
    EXPECT_EQ(e.secret.size(), 16U);
    EXPECT_EQ(e.recovery_codes,
              (std::vector<std::string>{"68303377", "45207397", "32080735", "94772209", "37693015"}));
    EXPECT_EQ(kotp_code(e), oathtool_code(e, "ZHQPHQZVVGCBDHUZ7XED2OYKOU", true));
}

TEST(GoogleAuthenticatorImport, HotpSampleKeepsTheNextCounter) {
    const auto r = parse_google_authenticator(kHotpFile, "bob", "bob");
    EXPECT_TRUE(r.errors.empty()) << ::testing::PrintToString(error_lines(r));
    ASSERT_EQ(r.entries.size(), 1U);
    const auto& e = r.entries[0];
    EXPECT_EQ(e.type, TokenType::Hotp);
    EXPECT_EQ(e.counter, 1U);
    EXPECT_EQ(e.digits, 6U);
    EXPECT_EQ(e.recovery_codes, (std::vector<std::string>{"59453745", "33381617"}));
    // The tool's own code for counter 1, the first one its PAM module accepts.
    EXPECT_EQ(kotp_code(e), "752988");
    EXPECT_EQ(kotp_code(e), oathtool_code(e, "2FUPYRSJFGC2KD2ZL2SG7E5O2Q", true));

    // After logins the module rewrote the counter: the file's value is the next one.
    std::string used = kHotpFile;
    used.replace(used.find("HOTP_COUNTER 1"), 14, "HOTP_COUNTER 5");
    const auto later = parse_google_authenticator(used, "bob", "bob");
    ASSERT_EQ(later.entries.size(), 1U);
    EXPECT_EQ(later.entries[0].counter, 5U);
    EXPECT_EQ(kotp_code(later.entries[0]), oathtool_code(later.entries[0], "2FUPYRSJFGC2KD2ZL2SG7E5O2Q", true));
}

TEST(GoogleAuthenticatorImport, StepSizeCrlfAndOldShortSecrets) {
    // 16 Base32 characters (80 bits): what older versions of the tool wrote.
    const auto r = parse_google_authenticator(
        "JBSWY3DPEHPK3PXP\r\n\" STEP_SIZE 60\r\n\" TOTP_AUTH\r\n\r\n12345678\r\n12345678\r\n", "c", "carol");
    EXPECT_TRUE(r.errors.empty()) << ::testing::PrintToString(error_lines(r));
    ASSERT_EQ(r.entries.size(), 1U);
    EXPECT_EQ(r.entries[0].period, 60U);
    EXPECT_EQ(r.entries[0].secret.size(), 10U);
    EXPECT_EQ(r.entries[0].recovery_codes, (std::vector<std::string>{"12345678"}));  // duplicates dropped
    EXPECT_EQ(kotp_code(r.entries[0]), oathtool_code(r.entries[0], "JBSWY3DPEHPK3PXP", true));
}

TEST(GoogleAuthenticatorImport, AnyErrorRefusesTheWholeFile) {
    struct Case {
        std::string text;
        std::string error;
    };
    const std::string secret = "ZHQPHQZVVGCBDHUZ7XED2OYKOU\n";
    std::string eleven = secret;
    for (int i = 0; i < 11; ++i) eleven += std::to_string(10000000 + i) + "\n";
    const std::vector<Case> cases{
        {"", "g: the file is empty"},
        {"\" TOTP_AUTH\n", "g:1: the first line is not a Base32 secret"},
        {"not base32!\n\" TOTP_AUTH\n", "g:1: the first line is not a Base32 secret"},
        {"AAAAAAAAAAAAAAA=\n", "g:1: secret is 9 bytes; at least 10 (80 bits) are needed"},
        {secret + "\" STEP_SIZE 45\n", "g:2: STEP_SIZE \"45\" is not supported (kotp takes 30 or 60 seconds)"},
        {secret + "\" HOTP_COUNTER 0\n", "g:2: HOTP_COUNTER \"0\" is not a counter of 1 or more"},
        {secret + "\" HOTP_COUNTER x1\n", "g:2: HOTP_COUNTER \"x1\" is not a counter of 1 or more"},
        {secret + "\" TOTP_AUTH\n1234567\n", "g:3: neither an option line (\" NAME ...) nor an 8-digit scratch code"},
        {secret + "\" TOTP_AUTH\n01234567\n", "g:3: neither an option line (\" NAME ...) nor an 8-digit scratch code"},
        {secret + "12345678 9\n", "g:2: neither an option line (\" NAME ...) nor an 8-digit scratch code"},
        {eleven, "g:12: more than 10 scratch codes (kotp keeps at most 10 recovery codes)"},
    };
    for (const auto& c : cases) {
        const auto r = parse_google_authenticator(c.text, "g", "alice");
        EXPECT_TRUE(r.entries.empty()) << c.text;
        EXPECT_EQ(error_lines(r), std::vector<std::string>{c.error}) << c.text;
    }
    const auto bad_user = parse_google_authenticator(kTotpFile, "g", "-alice");
    EXPECT_TRUE(bad_user.entries.empty());
    EXPECT_EQ(error_lines(bad_user), std::vector<std::string>{"g: invalid user name \"-alice\""});
}

// google-authenticator from PATH, or "" when it is not installed.
std::string google_authenticator_binary() {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const std::string candidate = dir + "/google-authenticator";
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return {};
}

TEST(GoogleAuthenticatorImport, RealTotpFiles) {
    const std::string tool = google_authenticator_binary();
    if (tool.empty()) GTEST_SKIP() << "google-authenticator not installed (apt-get install libpam-google-authenticator)";
    kotp::test::TempDir dir;
    for (const std::string step : {"30", "60"}) {
        const std::string file = dir.file("dave" + step + ".google_authenticator");
        const auto run = kotp::test::run({tool, "-t", "-d", "-f", "-r", "3", "-R", "30", "-w", "3", "-S", step,
                                          "-e", "5", "-s", file, "-q", "-Q", "NONE"});
        ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
        const std::string text = kotp::test::read_file(file);
        const std::string secret_line = text.substr(0, text.find('\n'));

        const auto r = read_import_file(ImportFormat::GoogleAuthenticator, file);
        EXPECT_TRUE(r.errors.empty()) << ::testing::PrintToString(error_lines(r)) << "\n" << text;
        ASSERT_EQ(r.entries.size(), 1U) << text;
        const auto& e = r.entries[0];
        EXPECT_EQ(e.user, "dave" + step);
        EXPECT_EQ(e.type, TokenType::Totp);
        EXPECT_EQ(std::to_string(e.period), step);
        EXPECT_EQ(e.recovery_codes.size(), 5U);
        for (const auto& code : e.recovery_codes) EXPECT_NE(text.find("\n" + code + "\n"), std::string::npos);
        EXPECT_EQ(kotp_code(e), oathtool_code(e, secret_line, true)) << text;
    }
}

TEST(GoogleAuthenticatorImport, RealHotpFile) {
    const std::string tool = google_authenticator_binary();
    if (tool.empty()) GTEST_SKIP() << "google-authenticator not installed (apt-get install libpam-google-authenticator)";
    kotp::test::TempDir dir;
    const std::string file = dir.file("erin");
    // Not quiet: it prints the code of the first counter its PAM module will accept.
    const auto run =
        kotp::test::run({tool, "-c", "-f", "-w", "5", "-u", "-e", "3", "-s", file, "-Q", "NONE"});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(run.out, m, std::regex("verification code for code 1 is ([0-9]{6})"))) << run.out;
    const std::string printed = m[1];

    const auto r = read_import_file(ImportFormat::GoogleAuthenticator, file);
    EXPECT_TRUE(r.errors.empty()) << ::testing::PrintToString(error_lines(r));
    ASSERT_EQ(r.entries.size(), 1U);
    const auto& e = r.entries[0];
    EXPECT_EQ(e.user, "erin");
    EXPECT_EQ(e.type, TokenType::Hotp);
    EXPECT_EQ(e.counter, 1U);
    EXPECT_EQ(e.recovery_codes.size(), 3U);
    EXPECT_EQ(kotp_code(e), printed);
    const std::string text = kotp::test::read_file(file);
    EXPECT_EQ(kotp_code(e, 4), oathtool_code(e, text.substr(0, text.find('\n')), true, 4));
}

TEST(GoogleAuthenticatorUser, FromTheFileName) {
    std::string error;
    EXPECT_EQ(google_authenticator_user("/collected/alice.google_authenticator", error), "alice");
    EXPECT_EQ(google_authenticator_user("/collected/bob", error), "bob");
    EXPECT_EQ(google_authenticator_user("carol.google_authenticator", error), "carol");
    EXPECT_EQ(google_authenticator_user("/x/-dave.google_authenticator", error), std::nullopt);
    EXPECT_EQ(error,
              "cannot tell whose file \"/x/-dave.google_authenticator\" is: name a collected file after its "
              "user (USER or USER.google_authenticator)");
    EXPECT_EQ(google_authenticator_user("/x/", error), std::nullopt);
}

class GoogleAuthenticatorOwner : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
    }
    kotp::test::TempDir dir_;
};

TEST_F(GoogleAuthenticatorOwner, TheOwnerOfDotGoogleAuthenticator) {
    const passwd* nobody = ::getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    const uid_t nobody_uid = nobody->pw_uid;
    ASSERT_EQ(::mkdir(dir_.file("home").c_str(), 0755), 0);
    const std::string file = dir_.file("home/.google_authenticator");
    kotp::test::write_file(file, kTotpFile);
    ASSERT_EQ(::chown(file.c_str(), nobody_uid, static_cast<gid_t>(-1)), 0);

    std::string error;
    EXPECT_EQ(google_authenticator_user(file, error), "nobody") << error;
    const auto r = read_import_file(ImportFormat::GoogleAuthenticator, file);
    EXPECT_TRUE(r.errors.empty()) << ::testing::PrintToString(error_lines(r));
    ASSERT_EQ(r.entries.size(), 1U);
    EXPECT_EQ(r.entries[0].user, "nobody");
    EXPECT_EQ(r.entries[0].origin, file + ":1");

    // A uid without passwd entry.
    uid_t stranger = 54321;
    while (::getpwuid(stranger) != nullptr) ++stranger;
    ASSERT_EQ(::chown(file.c_str(), stranger, static_cast<gid_t>(-1)), 0);
    EXPECT_EQ(google_authenticator_user(file, error), std::nullopt);
    const std::string expected = "\"" + file + "\" belongs to uid " + std::to_string(stranger) +
                                 ", which has no passwd entry: cannot tell whose token it is";
    EXPECT_EQ(error, expected);
    EXPECT_EQ(error_lines(read_import_file(ImportFormat::GoogleAuthenticator, file)),
              std::vector<std::string>{file + ": " + expected});
}

TEST_F(GoogleAuthenticatorOwner, SymbolicLinksAndMissingFilesAreRefused) {
    const std::string target = dir_.file("bob.google_authenticator");
    kotp::test::write_file(target, kTotpFile);
    ASSERT_EQ(::mkdir(dir_.file("home").c_str(), 0755), 0);
    const std::string link = dir_.file("home/.google_authenticator");
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    std::string error;
    EXPECT_EQ(google_authenticator_user(link, error), std::nullopt);
    EXPECT_EQ(error, "\"" + link + "\" is a symbolic link: its owner does not tell whose token it is");
    const auto r = read_import_file(ImportFormat::GoogleAuthenticator, link);
    EXPECT_TRUE(r.entries.empty());
    EXPECT_EQ(error_lines(r),
              std::vector<std::string>{link + ": is a symbolic link: its owner does not tell whose token it is"});

    const std::string missing = dir_.file("none/.google_authenticator");
    EXPECT_EQ(google_authenticator_user(missing, error), std::nullopt);
    EXPECT_EQ(error, "cannot read \"" + missing + "\": No such file or directory");
}

}  // namespace
