// The real kotp-admin binary: "doctor" options, exit statuses, and what it prints.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "doctor_test_support.hpp"

namespace {

using kotp::test::put;
using kotp::test::RunResult;
using kotp::test::TempDir;

RunResult kotp_admin(const std::vector<std::string>& args,
                     const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv{KOTP_ADMIN_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    kotp::test::RunOptions options;
    options.env = env;
    return kotp::test::run(argv, options);
}

// doctor on DIR's files, leaving out this machine's socket and clock.
RunResult doctor(const TempDir& dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"doctor",    "--sshd-config",   dir.file("sshd_config"),
                                  "--pam-dir", dir.file("pam.d"), "--skip",
                                  "socket",    "--skip",          "clock"};
    args.insert(args.end(), extra.begin(), extra.end());
    return kotp_admin(args);
}

TEST(DoctorCli, DropInWithKbdInteractiveNoExitsOneAndNamesTheLine) {
    TempDir dir;
    kotp::test::correct_tree(dir);
    const std::string drop_in = put(dir, "sshd_config.d/10-hardening.conf",
                                    "PermitRootLogin no\nKbdInteractiveAuthentication no\n");
    const RunResult r = doctor(dir);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("error: KbdInteractiveAuthentication is no"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("  where: " + drop_in + ":2\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 problem found"), std::string::npos) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(DoctorCli, CorrectConfigurationExitsZero) {
    TempDir dir;
    kotp::test::correct_tree(dir);
    const RunResult r = doctor(dir);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("\nno problem found\n"), std::string::npos) << r.out;
}

TEST(DoctorCli, JsonOnEitherSideOfTheCommandParses) {
    TempDir dir;
    kotp::test::correct_tree(dir);
    const std::string drop_in =
        put(dir, "sshd_config.d/10-x.conf", "KbdInteractiveAuthentication no\n");
    for (const bool before : {true, false}) {
        std::vector<std::string> args{"doctor",      "--sshd-config",   dir.file("sshd_config"),
                                      "--pam-dir",   dir.file("pam.d"), "--skip",
                                      "socket,clock"};
        args.insert(before ? args.begin() : args.end(), "--json");
        const RunResult r = kotp_admin(args);
        EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
        const auto doc = nlohmann::json::parse(r.out);
        EXPECT_EQ(doc.at("errors"), 1);
        EXPECT_EQ(doc.at("warnings"), 0);
        ASSERT_EQ(doc.at("findings").size(), 1U);
        EXPECT_EQ(doc.at("findings").at(0).at("check"), "sshd");
        EXPECT_EQ(doc.at("findings").at(0).at("where"), drop_in + ":1");
    }
}

TEST(DoctorCli, BadSkipOrServiceIsAUsageError) {
    TempDir dir;
    kotp::test::correct_tree(dir);
    for (const std::vector<std::string>& extra :
         std::vector<std::vector<std::string>>{{"--skip", "ntp"},
                                               {"--services", "../shadow"},
                                               {"--services", ""},
                                               {"--frobnicate"}}) {
        const RunResult r = doctor(dir, extra);
        EXPECT_EQ(r.exit_code, 2) << testing::PrintToString(extra) << r.out << r.err;
        EXPECT_NE(r.err.find("\nRun with --help for more information.\n"), std::string::npos)
            << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
}

TEST(DoctorCli, ServicesChoosesWhatIsChecked) {
    TempDir dir;
    kotp::test::correct_tree(dir);
    put(dir, "pam.d/sshd-kotp", "auth required pam_kotp.so\n");
    RunResult r = doctor(dir, {"--services", "sshd-kotp"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("  sshd-kotp: pam_kotp.so required\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("  login:"), std::string::npos) << r.out;
    r = doctor(dir, {"--services", "sshd,su"});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("su: the PAM service file " + dir.file("pam.d/su") + " does not exist"),
              std::string::npos)
        << r.out;
}

TEST(DoctorCli, MissingSshdConfigIsAFindingNotAUsageError) {
    TempDir dir;
    kotp::test::correct_tree(dir);
    const RunResult r = kotp_admin({"doctor", "--sshd-config", dir.file("none"), "--pam-dir",
                                    dir.file("pam.d"), "--skip", "socket", "--skip", "clock"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("where: " + dir.file("none")), std::string::npos) << r.out;
}

TEST(DoctorCli, SocketFromOptionAndEnvironment) {
    TempDir dir;
    kotp::test::correct_tree(dir);
    const std::vector<std::string> base{"doctor",    "--sshd-config",   dir.file("sshd_config"),
                                        "--pam-dir", dir.file("pam.d"), "--skip",
                                        "clock"};
    std::vector<std::string> with_option = base;
    with_option.insert(with_option.begin(), {"--socket", dir.file("a.sock")});
    RunResult r = kotp_admin(with_option);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("error: otpd's socket " + dir.file("a.sock") + ": No such file"),
              std::string::npos)
        << r.out;
    r = kotp_admin(base, {"KOTP_SOCKET=" + dir.file("b.sock")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("error: otpd's socket " + dir.file("b.sock") + ": No such file"),
              std::string::npos)
        << r.out;
}

TEST(DoctorCli, HelpDocumentsSkipAndExitStatus) {
    const RunResult r = kotp_admin({"doctor", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    for (const char* text : {"--sshd-config", "--pam-dir", "--services", "--skip", "STA_UNSYNC",
                             "--skip clock", "Exit status", "1  at least one problem"})
        EXPECT_NE(r.out.find(text), std::string::npos) << text;
    const RunResult top = kotp_admin({"--help"});
    EXPECT_NE(top.out.find("doctor"), std::string::npos);
}

}  // namespace
