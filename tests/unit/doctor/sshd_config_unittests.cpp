// kotp-admin doctor's sshd side: reading sshd_config with its drop-ins as sshd does, and the
// findings for UsePAM, KbdInteractiveAuthentication, AuthenticationMethods and Match blocks.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor_test_support.hpp"
#include "sshd_checks.hpp"
#include "sshd_config_reader.hpp"

namespace {

using kotp::admin::check_sshd_config;
using kotp::admin::Findings;
using kotp::admin::read_sshd_config;
using kotp::admin::Severity;
using kotp::admin::SshdConfig;
using kotp::test::dump;
using kotp::test::has_finding;
using kotp::test::put;
using kotp::test::TempDir;

constexpr const char* kGoodSettings =
    "UsePAM yes\n"
    "KbdInteractiveAuthentication yes\n"
    "AuthenticationMethods publickey,keyboard-interactive\n";

Findings check(const std::string& main_file) {
    return check_sshd_config(read_sshd_config(main_file));
}

std::string effective(const SshdConfig& config, const std::string& keyword) {
    const auto* setting = config.effective(keyword);
    return setting == nullptr ? "(unset)" : setting->value() + " @ " + setting->where();
}

TEST(SshdConfig, DropInWithKbdInteractiveNoIsReportedAtItsLine) {
    TempDir dir;
    const std::string main = put(dir, "sshd_config",
                                 "# main file\nInclude sshd_config.d/*.conf\nUsePAM yes\n"
                                 "AuthenticationMethods publickey,keyboard-interactive\n");
    const std::string drop_in = put(dir, "sshd_config.d/50-cloud-init.conf",
                                    "# written by cloud-init\n\nKbdInteractiveAuthentication no\n");
    const Findings findings = check(main);
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_EQ(findings[0].check, "sshd");
    EXPECT_EQ(findings[0].severity, Severity::Error);
    EXPECT_EQ(findings[0].where, drop_in + ":3");
    EXPECT_NE(findings[0].problem.find("KbdInteractiveAuthentication is no"), std::string::npos);
    EXPECT_NE(findings[0].fix.find("\"KbdInteractiveAuthentication yes\""), std::string::npos);
}

TEST(SshdConfig, CorrectConfigurationHasNoFinding) {
    TempDir dir;
    const std::string main = put(dir, "sshd_config", "Include sshd_config.d/*.conf\nPort 22\n");
    put(dir, "sshd_config.d/kotp.conf", kGoodSettings);
    const Findings findings = check(main);
    EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(SshdConfig, FirstValueWinsMainFileBeforeInclude) {
    TempDir dir;
    const std::string main =
        put(dir, "sshd_config", std::string(kGoodSettings) + "Include sshd_config.d/*.conf\n");
    put(dir, "sshd_config.d/10-no.conf", "KbdInteractiveAuthentication no\nUsePAM no\n");
    const Findings findings = check(main);
    EXPECT_TRUE(findings.empty()) << dump(findings);
    EXPECT_EQ(effective(read_sshd_config(main), "kbdinteractiveauthentication"),
              "yes @ " + main + ":2");
}

TEST(SshdConfig, FirstValueWinsIncludeBeforeMainFile) {
    TempDir dir;
    const std::string main =
        put(dir, "sshd_config", "Include sshd_config.d/*.conf\n" + std::string(kGoodSettings));
    const std::string drop_in =
        put(dir, "sshd_config.d/10-no.conf", "KbdInteractiveAuthentication no\n");
    const Findings findings = check(main);
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_EQ(findings[0].where, drop_in + ":1");
    // The admin who wrote "yes" in the main file learns why it has no effect.
    EXPECT_NE(findings[0].fix.find(main + ":3 has no effect"), std::string::npos)
        << findings[0].fix;
}

TEST(SshdConfig, DropInsAreReadInSortedOrder) {
    TempDir dir;
    const std::string main = put(dir, "sshd_config", "Include sshd_config.d/*.conf\n");
    put(dir, "sshd_config.d/20-kotp.conf", kGoodSettings);
    const std::string early = put(dir, "sshd_config.d/10-site.conf", "UsePAM no\n");
    EXPECT_TRUE(has_finding(check(main), "sshd", "UsePAM is no", early + ":1"));

    TempDir other;
    const std::string main2 = put(other, "sshd_config", "Include sshd_config.d/*.conf\n");
    put(other, "sshd_config.d/00-kotp.conf", kGoodSettings);
    put(other, "sshd_config.d/90-site.conf", "UsePAM no\n");
    const Findings findings = check(main2);
    EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(SshdConfig, KeywordsAnyCaseEqualsFormsQuotesAndComments) {
    TempDir dir;
    const std::string main = put(dir, "sshd_config",
                                 "  usepam=yes # trailing comment\n"
                                 "\tKBDINTERACTIVEAUTHENTICATION = \"yes\"\n"
                                 "#AuthenticationMethods publickey\n"
                                 "authenticationMethods 'publickey,keyboard-interactive'   \r\n");
    const Findings findings = check(main);
    EXPECT_TRUE(findings.empty()) << dump(findings);
    const SshdConfig config = read_sshd_config(main);
    EXPECT_EQ(effective(config, "usepam"), "yes @ " + main + ":1");
    EXPECT_EQ(effective(config, "authenticationmethods"),
              "publickey,keyboard-interactive @ " + main + ":4");
}

TEST(SshdConfig, UnbalancedQuoteAndMissingValueAreReported) {
    TempDir dir;
    const std::string main = put(
        dir, "sshd_config", std::string(kGoodSettings) + "Banner \"/etc/issue\nPermitRootLogin\n");
    const Findings findings = check(main);
    EXPECT_TRUE(has_finding(findings, "sshd", "unbalanced quotes", main + ":4")) << dump(findings);
    EXPECT_TRUE(has_finding(findings, "sshd", "no value after PermitRootLogin", main + ":5"));
}

TEST(SshdConfig, ChallengeResponseAuthenticationIsTheOldNameAndCountsFirst) {
    TempDir dir;
    const std::string main = put(
        dir, "sshd_config", "ChallengeResponseAuthentication no\n" + std::string(kGoodSettings));
    const Findings findings = check(main);
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_EQ(findings[0].where, main + ":1");
    EXPECT_NE(findings[0].problem.find("ChallengeResponseAuthentication is no (the old name"),
              std::string::npos);
}

TEST(SshdConfig, IncludeGlobsAbsoluteRelativeNestedAndSeveralPatterns) {
    TempDir dir;
    const std::string main = put(dir, "etc/sshd_config",
                                 "Include conf.d/*.conf " + dir.file("abs/only-this.conf") + "\n" +
                                     std::string("Include missing.d/*.conf\n"));
    put(dir, "etc/conf.d/a.conf", "Include nested/*.conf\n");
    const std::string nested = put(dir, "etc/nested/x.conf", "UsePAM no\n");
    put(dir, "etc/conf.d/ignored.txt", "KbdInteractiveAuthentication no\n");
    const std::string absolute =
        put(dir, "abs/only-this.conf", "AuthenticationMethods publickey\n");
    put(dir, "abs/not-this.conf", "KbdInteractiveAuthentication no\n");
    const Findings findings = check(main);
    EXPECT_TRUE(has_finding(findings, "sshd", "UsePAM is no", nested + ":1")) << dump(findings);
    EXPECT_TRUE(has_finding(findings, "sshd", "\"publickey\" has no keyboard-interactive",
                            absolute + ":1"));
    EXPECT_FALSE(has_finding(findings, "sshd", "KbdInteractiveAuthentication")) << dump(findings);
    EXPECT_EQ(findings.size(), 2U) << dump(findings);
}

TEST(SshdConfig, IncludeLoopIsReported) {
    TempDir dir;
    const std::string main =
        put(dir, "sshd_config", std::string(kGoodSettings) + "Include loop.conf\n");
    put(dir, "loop.conf", "Include loop.conf\n");
    EXPECT_TRUE(has_finding(check(main), "sshd", "Include nested more than 16 deep"));
}

TEST(SshdConfig, UnreadableIncludedFileIsReported) {
    TempDir dir;
    const std::string main =
        put(dir, "sshd_config", "Include d/*.conf\n" + std::string(kGoodSettings));
    put(dir, "d/.keep", "");
    ASSERT_EQ(::mkdir(dir.file("d/sub.conf").c_str(), 0755),
              0);  // root reads any file: use a folder
    const Findings findings = check(main);
    EXPECT_TRUE(has_finding(findings, "sshd", "cannot read " + dir.file("d/sub.conf"), main + ":1"))
        << dump(findings);
}

TEST(SshdConfig, MissingMainFileIsAFinding) {
    TempDir dir;
    const Findings findings = check(dir.file("nowhere/sshd_config"));
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_NE(findings[0].problem.find("No such file or directory"), std::string::npos);
    EXPECT_NE(findings[0].fix.find("--skip sshd"), std::string::npos);
}

TEST(SshdConfig, UsePamNoAndUnset) {
    TempDir dir;
    const std::string set_no = put(dir, "a/sshd_config",
                                   "UsePAM no\nKbdInteractiveAuthentication yes\n"
                                   "AuthenticationMethods publickey,keyboard-interactive\n");
    Findings findings = check(set_no);
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_EQ(findings[0].where, set_no + ":1");
    EXPECT_NE(findings[0].problem.find("pam_kotp.so is never asked"), std::string::npos);

    // Unset: sshd's default is no. The fix names the drop-in when the main file includes it.
    const std::string with_include =
        put(dir, "b/sshd_config",
            "Include /nonexistent-kotp/*.conf\nInclude sshd_config.d/*.conf\n"
            "AuthenticationMethods publickey,keyboard-interactive\n");
    findings = check(with_include);
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_NE(findings[0].problem.find("UsePAM is not set, and sshd's default is no"),
              std::string::npos);
    EXPECT_NE(
        findings[0].fix.find("add \"UsePAM yes\" to " + dir.file("b/sshd_config.d/kotp.conf")),
        std::string::npos)
        << findings[0].fix;

    const std::string without_include =
        put(dir, "c/sshd_config", "AuthenticationMethods publickey,keyboard-interactive\n");
    findings = check(without_include);
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_NE(findings[0].fix.find("add \"UsePAM yes\" to " + without_include +
                                   " (above any Match block)"),
              std::string::npos)
        << findings[0].fix;
}

struct MethodsCase {
    const char* line;     // "" for unset
    const char* problem;  // "" when nothing is wrong
    const char* fix;
};

TEST(SshdConfig, AuthenticationMethodsVariants) {
    const MethodsCase cases[] = {
        {"", "AuthenticationMethods is not set (any): one method is enough",
         "publickey,keyboard-interactive"},
        {"AuthenticationMethods any", "AuthenticationMethods is any",
         "publickey,keyboard-interactive"},
        {"AuthenticationMethods publickey",
         "\"publickey\" has no keyboard-interactive step: an SSH key alone",
         "\"AuthenticationMethods publickey,keyboard-interactive\""},
        {"AuthenticationMethods password", "\"password\" has no keyboard-interactive step",
         "\"AuthenticationMethods keyboard-interactive\""},
        {"AuthenticationMethods publickey,password publickey,keyboard-interactive",
         "\"publickey,password\" has no keyboard-interactive",
         "\"AuthenticationMethods publickey,keyboard-interactive publickey,keyboard-interactive\""},
        {"AuthenticationMethods hostbased", "a trusted host alone",
         "hostbased,keyboard-interactive"},
        {"AuthenticationMethods publickey,keyboard-interactive", "", ""},
        {"AuthenticationMethods keyboard-interactive", "", ""},
        {"AuthenticationMethods publickey,keyboard-interactive:pam", "", ""},
        {"AuthenticationMethods keyboard-interactive publickey,keyboard-interactive", "", ""},
    };
    for (const MethodsCase& c : cases) {
        TempDir dir;
        const std::string main =
            put(dir, "sshd_config",
                std::string("UsePAM yes\nKbdInteractiveAuthentication yes\n") + c.line + "\n");
        const Findings findings = check(main);
        if (std::string(c.problem).empty()) {
            EXPECT_TRUE(findings.empty()) << c.line << "\n" << dump(findings);
            continue;
        }
        ASSERT_EQ(findings.size(), 1U) << c.line << "\n" << dump(findings);
        EXPECT_NE(findings[0].problem.find(c.problem), std::string::npos) << c.line << "\n"
                                                                          << dump(findings);
        EXPECT_NE(findings[0].fix.find(c.fix), std::string::npos) << c.line << "\n"
                                                                  << dump(findings);
        EXPECT_EQ(findings[0].where, std::string(c.line).empty() ? main : main + ":3");
    }
}

TEST(SshdConfig, GlobalSettingsStopAtTheFirstMatch) {
    TempDir dir;
    const std::string main = put(dir, "sshd_config",
                                 std::string(kGoodSettings) +
                                     "Match User backup\n"
                                     "    AuthenticationMethods publickey\n"
                                     "    KbdInteractiveAuthentication no\n"
                                     "Match Group admins\n"
                                     "    AuthenticationMethods publickey,keyboard-interactive\n"
                                     "    PasswordAuthentication no\n"
                                     "Match all\n"
                                     "UsePAM yes\n");
    const SshdConfig config = read_sshd_config(main);
    EXPECT_EQ(effective(config, "authenticationmethods"),
              "publickey,keyboard-interactive @ " + main + ":3");
    ASSERT_EQ(config.match_blocks.size(), 3U);
    EXPECT_EQ(config.match_blocks[0].criteria, "User backup");

    const Findings findings = check(main);
    EXPECT_TRUE(has_finding(
        findings, "sshd",
        "Match User backup (" + main + ":4) sets \"AuthenticationMethods publickey\"", main + ":5"))
        << dump(findings);
    EXPECT_TRUE(
        has_finding(findings, "sshd", "sets \"KbdInteractiveAuthentication no\"", main + ":6"));
    // UsePAM is not allowed in a Match block: sshd does not start.
    EXPECT_TRUE(has_finding(findings, "sshd", "sshd refuses to start", main + ":11"));
    ASSERT_EQ(findings.size(), 3U) << dump(findings);  // the admins block weakens nothing
    EXPECT_EQ(findings[0].severity, Severity::Warning);
    EXPECT_EQ(findings[1].severity, Severity::Warning);
    EXPECT_EQ(findings[2].severity, Severity::Error);
}

TEST(SshdConfig, PasswordAuthenticationInMatchOnlyWhenAPasswordAloneGetsIn) {
    TempDir dir;
    const std::string harmless = put(
        dir, "a/sshd_config",
        std::string(kGoodSettings) + "Match Address 10.0.0.0/8\n  PasswordAuthentication yes\n");
    EXPECT_TRUE(check(harmless).empty()) << dump(check(harmless));
    const std::string weak =
        put(dir, "b/sshd_config",
            std::string(kGoodSettings) +
                "Match Address 10.0.0.0/8\n  PasswordAuthentication yes\n"
                "  AuthenticationMethods password publickey,keyboard-interactive\n");
    const Findings findings = check(weak);
    EXPECT_TRUE(has_finding(findings, "sshd", "may log in with a password alone", weak + ":5"))
        << dump(findings);
    EXPECT_TRUE(
        has_finding(findings, "sshd", "sets \"AuthenticationMethods password", weak + ":6"));
}

TEST(SshdConfig, MatchInADropInEndsWithThatFile) {
    TempDir dir;
    const std::string main =
        put(dir, "sshd_config", "Include sshd_config.d/*.conf\n" + std::string(kGoodSettings));
    put(dir, "sshd_config.d/10-sftp.conf", "Match Group sftponly\n  ForceCommand internal-sftp\n");
    const SshdConfig config = read_sshd_config(main);
    EXPECT_EQ(effective(config, "usepam"), "yes @ " + main + ":2");
    EXPECT_TRUE(check(main).empty()) << dump(check(main));
}

TEST(SshdConfig, IncludeInsideAMatchBlockBelongsToIt) {
    TempDir dir;
    const std::string main =
        put(dir, "sshd_config",
            std::string(kGoodSettings) + "Match User backup\nInclude backup.conf\n");
    const std::string included = put(dir, "backup.conf", "AuthenticationMethods publickey\n");
    const SshdConfig config = read_sshd_config(main);
    ASSERT_EQ(config.match_blocks.size(), 1U);
    ASSERT_EQ(config.match_blocks[0].settings.size(), 1U);
    EXPECT_EQ(config.match_blocks[0].settings[0].where(), included + ":1");
    EXPECT_TRUE(config.global_includes.empty());
}

TEST(SshdConfig, DebianDefaultFileWithAndWithoutKotpDropIn) {
    TempDir dir;
    std::string text = kotp::test::fixture("debian12/sshd_config");
    const std::string debian_include = "Include /etc/ssh/sshd_config.d/*.conf";
    ASSERT_NE(text.find(debian_include), std::string::npos);
    text.replace(text.find(debian_include), debian_include.size(),
                 "Include " + dir.file("sshd_config.d") + "/*.conf");
    const std::string main = put(dir, "sshd_config", text);
    put(dir, "sshd_config.d/.keep", "");

    // Debian's own file: KbdInteractiveAuthentication no, AuthenticationMethods unset.
    Findings findings = check(main);
    ASSERT_EQ(findings.size(), 2U) << dump(findings);
    EXPECT_TRUE(has_finding(findings, "sshd", "KbdInteractiveAuthentication is no"));
    EXPECT_TRUE(has_finding(findings, "sshd", "AuthenticationMethods is not set"));

    // kotp's shipped drop-in fixes both (it is read first, and the first value wins).
    put(dir, "sshd_config.d/kotp.conf",
        kotp::test::read_file(std::string(KOTP_SOURCE_DIR) +
                              "/doc/examples/sshd_config.d/kotp.conf"));
    findings = check(main);
    EXPECT_TRUE(findings.empty()) << dump(findings);
}

// The reader agrees with sshd itself ("sshd -T") on the values that matter.
TEST(SshdConfig, AgreesWithSshdDashT) {
    const char* sshd = "/usr/sbin/sshd";
    if (::access(sshd, X_OK) != 0 || ::access("/etc/ssh/ssh_host_ed25519_key", R_OK) != 0)
        GTEST_SKIP() << "needs OpenSSH's sshd and a host key";
    const std::vector<std::vector<std::string>> trees = {
        {"KbdInteractiveAuthentication yes\nInclude D/*.conf\n", "10.conf",
         "KbdInteractiveAuthentication no\nUsePAM yes\n"},
        {"Include D/*.conf\nKbdInteractiveAuthentication yes\n", "10.conf",
         "ChallengeResponseAuthentication=no\n"},
        {"Include D/*.conf\nUsePAM yes\n", "10.conf",
         "Match User x\n  PasswordAuthentication no\n"},
        {"Include D/*.conf\nAuthenticationMethods publickey\n", "10.conf",
         "authenticationmethods \"publickey,keyboard-interactive\" password\n"},
        {"UsePAM no\nMatch User x\n  AuthenticationMethods publickey\n", "10.conf", ""},
    };
    for (const auto& tree : trees) {
        TempDir dir;
        std::string main_text = tree[0];
        if (const auto d = main_text.find("D/"); d != std::string::npos)
            main_text.replace(d, 1,
                              dir.file("d"));  // absolute: sshd takes relative ones from /etc/ssh
        const std::string main =
            put(dir, "sshd_config", "HostKey /etc/ssh/ssh_host_ed25519_key\n" + main_text);
        put(dir, "d/" + tree[1], tree[2]);
        const auto r = kotp::test::run({sshd, "-T", "-f", main});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const SshdConfig config = read_sshd_config(main);
        for (const std::string keyword :
             {"usepam", "kbdinteractiveauthentication", "authenticationmethods"}) {
            const auto* setting = config.effective(keyword);
            std::string ours = setting != nullptr ? setting->value() : "";
            if (ours.empty())
                ours = keyword == "usepam"                  ? "no"
                       : keyword == "authenticationmethods" ? "any"
                                                            : "yes";
            std::transform(ours.begin(), ours.end(), ours.begin(), [](char c) {
                return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            });
            EXPECT_NE(r.out.find("\n" + keyword + " " + ours + "\n"), std::string::npos)
                << main_text << keyword << ": ours " << ours;
        }
    }
}

}  // namespace
