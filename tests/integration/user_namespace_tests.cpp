// otpd in a user namespace that maps only root (what PrivateUsers=yes does to a service): the
// kernel then reports every other caller as the overflow uid, so otpd says so when it starts.
// Needs root and unprivileged-free user namespaces (unshare -U); skipped where the kernel or the
// container forbids them.
#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

bool user_namespaces_work() {
    return ::geteuid() == 0 && run({"unshare", "--user", "--map-root-user", "--", "true"}).exit_code == 0;
}

class PartialUidMapTest : public OtpdFixture {
protected:
    void SetUp() override {
        if (!user_namespaces_work()) GTEST_SKIP() << "needs root and unshare --user";
        otpd_launcher = {"unshare", "--user", "--map-root-user", "--"};
        OtpdFixture::SetUp();
    }
};

TEST_F(PartialUidMapTest, StartupLogSaysCallersAreHidden) {
    admin_json({"list"});  // serving: root maps to root, so the admin still gets through
    const auto log = read_file(log_path);
    EXPECT_THAT(log, HasSubstr("user namespace that maps 1 uid(s)"));
    EXPECT_THAT(log, HasSubstr("without PrivateUsers="));
}

TEST_F(PartialUidMapTest, OrdinaryCallerReadsAsNobody) {
    enroll("daemon");
    RunOptions as_daemon;
    as_daemon.uid = 1;  // "daemon" in every Debian passwd
    as_daemon.gid = 1;
    const auto r = run({program(KOTP_PATH), "--socket", socket_path, "status"}, as_daemon);
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;  // otpd saw uid 65534, not daemon's record
    EXPECT_THAT(r.out + r.err, Not(HasSubstr("daemon")));
}

using FullUidMapTest = OtpdFixture;

TEST_F(FullUidMapTest, NoWarningWithoutAUserNamespace) {
    admin_json({"list"});
    EXPECT_THAT(read_file(log_path), Not(HasSubstr("user namespace")));
}

}  // namespace
}  // namespace kotp::integration
