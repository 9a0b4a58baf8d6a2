// kotp-admin doctor's PAM side: reading service files as libpam does (includes, substacks,
// continuations, controls) and the findings of the libpam-style walk of the auth stack.
#include <gtest/gtest.h>

#include "doctor_test_support.hpp"
#include "pam_checks.hpp"
#include "pam_stack_reader.hpp"
#include "pam_stack_walk.hpp"

namespace {

using kotp::admin::check_pam_stack;
using kotp::admin::describe_auth_stack;
using kotp::admin::Findings;
using kotp::admin::PamAction;
using kotp::admin::PamResult;
using kotp::admin::PamStack;
using kotp::admin::read_pam_auth_stack;
using kotp::admin::Severity;
using kotp::test::dump;
using kotp::test::has_finding;
using kotp::test::put;
using kotp::test::TempDir;

// Writes pam.d/sshd with `text` (plus any other files) and checks the sshd service.
Findings check_sshd_stack(const TempDir& dir, const std::string& text) {
    put(dir, "pam.d/sshd", text);
    return check_pam_stack(read_pam_auth_stack(dir.file("pam.d"), "sshd"));
}

TEST(PamChecks, DebianStacksWithoutKotpAreReported) {
    TempDir dir;
    const std::string pam_dir = kotp::test::debian_pam_dir(dir);
    for (const std::string service : {"sshd", "login"}) {
        const Findings findings = check_pam_stack(read_pam_auth_stack(pam_dir, service));
        ASSERT_EQ(findings.size(), 1U) << service << "\n" << dump(findings);
        EXPECT_EQ(findings[0].severity, Severity::Error);
        EXPECT_EQ(findings[0].where, pam_dir + "/" + service);
        EXPECT_NE(findings[0].problem.find(service + ": pam_kotp.so is not in the auth stack"),
                  std::string::npos);
    }
    EXPECT_NE(check_pam_stack(read_pam_auth_stack(pam_dir, "login"))[0].fix.find(
                  "pam-auth-update --enable kotp"),
              std::string::npos);
}

TEST(PamChecks, DebianCommonAuthWithPamAuthUpdatesKotpLineIsFine) {
    TempDir dir;
    const std::string pam_dir = kotp::test::debian_pam_dir(dir);
    put(dir, "pam.d/common-auth", kotp::test::common_auth_with_kotp());
    for (const std::string service : {"sshd", "login"}) {
        const PamStack stack = read_pam_auth_stack(pam_dir, service);
        EXPECT_TRUE(stack.problems.empty());
        const Findings findings = check_pam_stack(stack);
        EXPECT_TRUE(findings.empty()) << service << "\n" << dump(findings);
    }
    // pam_unix before pam_kotp is password + code, not a mistake; the summary shows the order.
    EXPECT_EQ(
        describe_auth_stack(read_pam_auth_stack(pam_dir, "sshd")),
        "pam_unix.so [success=1 default=ignore], pam_deny.so requisite, pam_permit.so required, "
        "pam_kotp.so required, pam_cap.so optional");
    const PamStack login = read_pam_auth_stack(pam_dir, "login");
    ASSERT_EQ(login.auth.size(), 8U);
    EXPECT_EQ(login.auth[5].where, pam_dir + "/common-auth:24");
    EXPECT_TRUE(login.auth[5].is_kotp());
}

TEST(PamChecks, ShippedSshdExampleIsFine) {
    TempDir dir;
    kotp::test::debian_pam_dir(dir);
    const Findings findings = check_sshd_stack(
        dir, kotp::test::read_file(std::string(KOTP_SOURCE_DIR) + "/doc/examples/pam.d/sshd"));
    EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(PamChecks, KotpInTheAccountStackOnlyOrCommentedOutIsAbsent) {
    TempDir dir;
    Findings findings =
        check_sshd_stack(dir, "account required pam_kotp.so\nauth required pam_unix.so\n");
    EXPECT_TRUE(has_finding(findings, "pam", "pam_kotp.so is not in the auth stack"))
        << dump(findings);
    // A comment ends the line even with a backslash at its end.
    findings = check_sshd_stack(dir, "#auth required pam_kotp.so \\\nauth required pam_unix.so\n");
    EXPECT_TRUE(has_finding(findings, "pam", "pam_kotp.so is not in the auth stack"))
        << dump(findings);
}

TEST(PamChecks, OptionalKotpIsReported) {
    TempDir dir;
    put(dir, "pam.d/common-auth", kotp::test::fixture("debian12/pam.d/common-auth"));
    const Findings findings =
        check_sshd_stack(dir, "@include common-auth\nauth optional pam_kotp.so debug\n");
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_EQ(findings[0].severity, Severity::Error);
    EXPECT_EQ(findings[0].where, dir.file("pam.d/sshd") + ":2");
    EXPECT_NE(findings[0].problem.find("pam_kotp.so is optional: PAM ignores its failure"),
              std::string::npos);
    EXPECT_NE(findings[0].fix.find("\"auth required pam_kotp.so debug\""), std::string::npos);
}

TEST(PamChecks, OptionalKotpAloneIsAWarning) {
    TempDir dir;
    const Findings findings = check_sshd_stack(dir, "auth optional pam_kotp.so\n");
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_EQ(findings[0].severity, Severity::Warning);
    EXPECT_NE(findings[0].problem.find("no login gets through that way"), std::string::npos);
}

TEST(PamChecks, BracketControlsThatIgnoreKotpsFailure) {
    TempDir dir;
    Findings findings = check_sshd_stack(
        dir, "auth required pam_unix.so\nauth [success=ok default=ignore] pam_kotp.so\n");
    EXPECT_TRUE(has_finding(findings, "pam",
                            "has the control [success=ok default=ignore]: PAM ignores its failure"))
        << dump(findings);
    // Failing open when otpd is down, spelt as a control.
    findings = check_sshd_stack(dir,
                                "auth required pam_unix.so\nauth [success=ok "
                                "authinfo_unavail=ignore default=bad] pam_kotp.so\n");
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_NE(
        findings[0].problem.find("goes on when it returns authinfo_unavail (otpd unreachable)"),
        std::string::npos)
        << dump(findings);
    findings = check_sshd_stack(
        dir, "auth required pam_unix.so\nauth [success=ok default=die] pam_kotp.so\n");
    EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(PamChecks, SufficientModuleBeforeKotpIsReported) {
    TempDir dir;
    const Findings findings =
        check_sshd_stack(dir, "auth sufficient pam_unix.so nullok\nauth required pam_kotp.so\n");
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_EQ(findings[0].where, dir.file("pam.d/sshd") + ":1");
    EXPECT_NE(
        findings[0].problem.find("pam_unix.so is sufficient: when pam_unix.so succeeds, PAM ends "
                                 "the auth stack before pam_kotp.so (" +
                                 dir.file("pam.d/sshd") + ":2)"),
        std::string::npos)
        << dump(findings);
}

TEST(PamChecks, SufficientModuleInAnIncludedFileIsNamedWithItsFile) {
    TempDir dir;
    const std::string included =
        put(dir, "pam.d/site-auth", "# site\nauth sufficient pam_sss.so\n");
    const Findings findings =
        check_sshd_stack(dir, "auth include site-auth\nauth required pam_kotp.so\n");
    EXPECT_TRUE(has_finding(findings, "pam", "pam_sss.so is sufficient", included + ":2"))
        << dump(findings);
}

TEST(PamChecks, SufficientInASubstackEndsOnlyTheSubstack) {
    TempDir dir;
    put(dir, "pam.d/site-auth", "auth sufficient pam_sss.so\nauth required pam_unix.so\n");
    const Findings findings =
        check_sshd_stack(dir, "auth substack site-auth\nauth required pam_kotp.so\n");
    EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(PamChecks, PermitBeforeKotp) {
    TempDir dir;
    EXPECT_TRUE(
        check_sshd_stack(dir, "auth required pam_permit.so\nauth required pam_kotp.so\n").empty());
    EXPECT_TRUE(
        check_sshd_stack(dir, "auth required pam_permit.so\nauth requisite pam_kotp.so\n").empty());
    EXPECT_TRUE(has_finding(
        check_sshd_stack(dir, "auth sufficient pam_permit.so\nauth required pam_kotp.so\n"), "pam",
        "pam_permit.so is sufficient"));
    EXPECT_TRUE(has_finding(
        check_sshd_stack(dir, "auth required pam_permit.so\nauth optional pam_kotp.so\n"), "pam",
        "pam_kotp.so is optional"));
}

TEST(PamChecks, SuccessDoneBracketBeforeKotp) {
    TempDir dir;
    const Findings findings =
        check_sshd_stack(dir,
                         "auth [success=done new_authtok_reqd=done default=ignore] "
                         "pam_krb5.so\nauth required pam_kotp.so\n");
    EXPECT_TRUE(has_finding(
        findings, "pam",
        "pam_krb5.so has the control [success=done new_authtok_reqd=done default=ignore]: "
        "when pam_krb5.so succeeds, PAM ends the auth stack"))
        << dump(findings);
    EXPECT_EQ(findings.size(), 1U) << dump(findings);  // not one per value that says done
}

TEST(PamChecks, BracketJumpOverKotpIsReported) {
    TempDir dir;
    // The kotp line put between pam_deny and pam_permit, with the jump widened to skip both.
    const Findings findings =
        check_sshd_stack(dir,
                         "auth [success=2 default=ignore] pam_unix.so nullok\n"
                         "auth requisite pam_deny.so\n"
                         "auth required pam_kotp.so\n"
                         "auth required pam_permit.so\n");
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_EQ(findings[0].where, dir.file("pam.d/sshd") + ":1");
    EXPECT_NE(
        findings[0].problem.find("pam_unix.so has the control [success=2 default=ignore]: when "
                                 "pam_unix.so succeeds, PAM jumps over pam_kotp.so (" +
                                 dir.file("pam.d/sshd") + ":3)"),
        std::string::npos)
        << dump(findings);
    // A jump that lands on pam_kotp.so is fine.
    EXPECT_TRUE(check_sshd_stack(dir,
                                 "auth [success=1 default=ignore] pam_unix.so nullok\n"
                                 "auth requisite pam_deny.so\n"
                                 "auth required pam_kotp.so\n")
                    .empty());
}

TEST(PamChecks, KotpInsertedIntoDebiansPrimaryBlockRefusesEveryLogin) {
    TempDir dir;
    // Between pam_unix and pam_deny: pam_unix's success=1 now skips pam_kotp.so and lands on
    // pam_deny.so, and its failure reaches pam_deny.so anyway.
    const Findings findings =
        check_sshd_stack(dir,
                         "auth [success=1 default=ignore] pam_unix.so nullok\n"
                         "auth required pam_kotp.so\n"
                         "auth requisite pam_deny.so\n"
                         "auth required pam_permit.so\n");
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_NE(findings[0].problem.find("the auth stack can never succeed"), std::string::npos)
        << dump(findings);
}

TEST(PamChecks, ResetAfterKotpFailedIsReported) {
    TempDir dir;
    const Findings findings = check_sshd_stack(dir,
                                               "auth required pam_kotp.so\n"
                                               "auth [default=reset] pam_env.so\n"
                                               "auth required pam_permit.so\n");
    EXPECT_TRUE(has_finding(findings, "pam", "forgets that pam_kotp.so failed",
                            dir.file("pam.d/sshd") + ":2"))
        << dump(findings);
}

TEST(PamChecks, KotpNeverReachedIsReported) {
    TempDir dir;
    const Findings findings =
        check_sshd_stack(dir, "auth requisite pam_deny.so\nauth required pam_kotp.so\n");
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_NE(findings[0].problem.find("pam_kotp.so is never reached"), std::string::npos);
    EXPECT_EQ(findings[0].where, dir.file("pam.d/sshd") + ":2");
}

TEST(PamChecks, StackThatNeverSucceedsIsReported) {
    TempDir dir;
    const Findings findings =
        check_sshd_stack(dir, "auth required pam_kotp.so\nauth required pam_deny.so\n");
    EXPECT_TRUE(has_finding(findings, "pam", "the auth stack can never succeed")) << dump(findings);
}

TEST(PamChecks, IncludeLoopIsReported) {
    TempDir dir;
    put(dir, "pam.d/a", "@include b\n");
    put(dir, "pam.d/b", "auth include a\n");
    const Findings findings = check_sshd_stack(dir, "@include a\nauth required pam_kotp.so\n");
    EXPECT_TRUE(has_finding(findings, "pam",
                            "include loop: " + dir.file("pam.d/sshd") + " -> " +
                                dir.file("pam.d/a") + " -> " + dir.file("pam.d/b") + " -> " +
                                dir.file("pam.d/a"),
                            dir.file("pam.d/b") + ":1"))
        << dump(findings);
}

TEST(PamChecks, MissingIncludedFileIsReported) {
    TempDir dir;
    const Findings findings =
        check_sshd_stack(dir, "@include common-auth\nauth required pam_kotp.so\n");
    EXPECT_TRUE(has_finding(findings, "pam",
                            "cannot read included " + dir.file("pam.d/common-auth"),
                            dir.file("pam.d/sshd") + ":1"))
        << dump(findings);
}

TEST(PamChecks, MissingServiceFileIsReported) {
    TempDir dir;
    put(dir, "pam.d/other", "auth required pam_deny.so\n");
    const Findings findings = check_pam_stack(read_pam_auth_stack(dir.file("pam.d"), "login"));
    ASSERT_EQ(findings.size(), 1U);
    EXPECT_NE(findings[0].problem.find("the PAM service file " + dir.file("pam.d/login") +
                                       " does not exist"),
              std::string::npos)
        << dump(findings);
}

TEST(PamChecks, OptionalModuleMarkerFailModeOpenAndAbsolutePath) {
    TempDir dir;
    const Findings findings = check_sshd_stack(
        dir, "-auth required /lib/x86_64-linux-gnu/security/pam_kotp.so failmode=open timeout=5\n");
    ASSERT_EQ(findings.size(), 2U) << dump(findings);
    EXPECT_TRUE(
        has_finding(findings, "pam", "\"-auth\" makes libpam drop the pam_kotp.so line silently"));
    EXPECT_TRUE(has_finding(findings, "pam", "failmode=open"));
    for (const auto& finding : findings) EXPECT_EQ(finding.severity, Severity::Warning);
}

TEST(PamChecks, ContinuationsCommentsAndCase) {
    TempDir dir;
    const PamStack stack = [&] {
        put(dir, "pam.d/sshd",
            "# kotp\n"
            "AUTH \\\n"
            "   Required \\\n"
            "   pam_kotp.so socket=/run/otpd/otpd.sock # the code\n"
            "auth [success=1\tdefault=ignore] pam_unix.so nullok\n"
            "auth requisite pam_deny.so\n");
        return read_pam_auth_stack(dir.file("pam.d"), "sshd");
    }();
    ASSERT_EQ(stack.auth.size(), 3U);
    EXPECT_TRUE(stack.auth[0].is_kotp());
    EXPECT_EQ(stack.auth[0].where, dir.file("pam.d/sshd") + ":2");
    EXPECT_EQ(stack.auth[0].arguments, "socket=/run/otpd/otpd.sock");
    EXPECT_EQ(stack.auth[1].control_text, "[success=1\tdefault=ignore]");
    EXPECT_EQ(stack.auth[1].control.actions[static_cast<std::size_t>(PamResult::Success)].kind,
              PamAction::Jump);
    EXPECT_EQ(stack.auth[1].control.actions[static_cast<std::size_t>(PamResult::AuthErr)].kind,
              PamAction::Ignore);
    const auto sockets = kotp::admin::kotp_socket_arguments(stack);
    ASSERT_EQ(sockets.size(), 1U);
    EXPECT_EQ(sockets[0].path, "/run/otpd/otpd.sock");
}

TEST(PamChecks, UnknownControlAndTypeBreakLogins) {
    TempDir dir;
    Findings findings =
        check_sshd_stack(dir, "auth requird pam_unix.so\nauth required pam_kotp.so\n");
    EXPECT_TRUE(
        has_finding(findings, "pam", "unknown control \"requird\"", dir.file("pam.d/sshd") + ":1"))
        << dump(findings);
    findings = check_sshd_stack(dir, "auth [sucess=ok] pam_unix.so\nauth required pam_kotp.so\n");
    EXPECT_TRUE(has_finding(findings, "pam", "does not understand \"sucess=ok\""))
        << dump(findings);
    findings = check_sshd_stack(dir, "autth required pam_unix.so\nauth required pam_kotp.so\n");
    EXPECT_TRUE(has_finding(findings, "pam", "unknown module type \"autth\"")) << dump(findings);
}

TEST(PamControl, SimpleWordsExpandAsLibpamDoes) {
    std::string error;
    const auto required = kotp::admin::parse_pam_control("required", error);
    ASSERT_TRUE(required);
    EXPECT_EQ(required->actions[static_cast<std::size_t>(PamResult::Success)].kind, PamAction::Ok);
    EXPECT_EQ(required->actions[static_cast<std::size_t>(PamResult::Ignore)].kind,
              PamAction::Ignore);
    EXPECT_EQ(required->actions[static_cast<std::size_t>(PamResult::AuthErr)].kind, PamAction::Bad);
    const auto sufficient = kotp::admin::parse_pam_control("Sufficient", error);
    ASSERT_TRUE(sufficient);
    EXPECT_EQ(sufficient->actions[static_cast<std::size_t>(PamResult::Success)].kind,
              PamAction::Done);
    EXPECT_EQ(sufficient->actions[static_cast<std::size_t>(PamResult::AuthErr)].kind,
              PamAction::Ignore);
    const auto bracket = kotp::admin::parse_pam_control("[success=ok]", error);
    ASSERT_TRUE(bracket);  // no default=: everything else is bad
    EXPECT_EQ(bracket->actions[static_cast<std::size_t>(PamResult::UserUnknown)].kind,
              PamAction::Bad);
    EXPECT_FALSE(kotp::admin::parse_pam_control("[success=0]", error));
    EXPECT_FALSE(kotp::admin::parse_pam_control("[success=maybe]", error));
}

TEST(PamWalk, JumpsCountASubstackAsOneModule) {
    TempDir dir;
    put(dir, "pam.d/sub", "auth required pam_unix.so\nauth required pam_env.so\n");
    const std::string tail =
        "auth substack sub\nauth required pam_kotp.so\nauth required pam_permit.so\n";
    // success=1 skips the whole substack and lands on pam_kotp.so...
    Findings findings =
        check_sshd_stack(dir, "auth [success=1 default=ignore] pam_sss.so\n" + tail);
    EXPECT_TRUE(findings.empty()) << dump(findings);
    const auto walk =
        kotp::admin::walk_auth_stack(read_pam_auth_stack(dir.file("pam.d"), "sshd").auth);
    EXPECT_TRUE(walk.can_succeed);
    EXPECT_TRUE(walk.bypasses.empty());
    // ...success=2 skips it and pam_kotp.so (counted one by one it would land inside the substack).
    findings = check_sshd_stack(dir, "auth [success=2 default=ignore] pam_sss.so\n" + tail);
    EXPECT_TRUE(has_finding(findings, "pam", "PAM jumps over pam_kotp.so")) << dump(findings);
}

}  // namespace
