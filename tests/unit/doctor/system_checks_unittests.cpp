// kotp-admin doctor's host checks: otpd's socket (real files and real listening sockets) and the
// kernel clock (injected states, and one real read).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "doctor_test_support.hpp"
#include "system_checks.hpp"

namespace {

using kotp::admin::check_kernel_clock;
using kotp::admin::check_otpd_socket;
using kotp::admin::Findings;
using kotp::admin::KernelClockState;
using kotp::admin::Severity;
using kotp::test::dump;
using kotp::test::TempDir;

constexpr std::chrono::milliseconds kTimeout{2000};
constexpr uid_t kNobody = 65534;

// A Unix socket bound at `path`; listening unless `listen` is false (a stale socket file).
class UnixSocket {
  public:
    UnixSocket(const std::string& path, bool listen) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr {};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
        bound_ = ::bind(fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) == 0 &&
                 (!listen || ::listen(fd_, 8) == 0);
    }
    ~UnixSocket() { ::close(fd_); }
    UnixSocket(const UnixSocket&) = delete;
    UnixSocket& operator=(const UnixSocket&) = delete;
    bool ok() const { return bound_; }

  private:
    int fd_ = -1;
    bool bound_ = false;
};

TEST(SocketCheck, MissingSocket) {
    TempDir dir;
    const Findings findings = check_otpd_socket(dir.file("otpd.sock"), kTimeout);
    ASSERT_EQ(findings.size(), 1U);
    EXPECT_EQ(findings[0].check, "socket");
    EXPECT_EQ(findings[0].severity, Severity::Error);
    EXPECT_EQ(findings[0].where, dir.file("otpd.sock"));
    EXPECT_NE(findings[0].problem.find("No such file or directory"), std::string::npos)
        << dump(findings);
    EXPECT_NE(findings[0].fix.find("systemctl enable --now otpd.socket"), std::string::npos);
}

TEST(SocketCheck, RegularFileIsNotASocket) {
    TempDir dir;
    kotp::test::write_file(dir.file("otpd.sock"), "");
    const Findings findings = check_otpd_socket(dir.file("otpd.sock"), kTimeout, "--socket");
    ASSERT_EQ(findings.size(), 1U);
    EXPECT_NE(findings[0].problem.find("is a regular file, not a socket"), std::string::npos)
        << dump(findings);
    EXPECT_EQ(findings[0].where, dir.file("otpd.sock") + " (--socket)");
}

TEST(SocketCheck, ListeningSocketOwnedByRootIsFine) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the socket must be owned by root";
    TempDir dir;
    const UnixSocket listening(dir.file("otpd.sock"), true);
    ASSERT_TRUE(listening.ok());
    const Findings findings = check_otpd_socket(dir.file("otpd.sock"), kTimeout);
    EXPECT_TRUE(findings.empty()) << dump(findings);
}

TEST(SocketCheck, SocketOwnedBySomeoneElse) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown the socket";
    TempDir dir;
    const UnixSocket listening(dir.file("otpd.sock"), true);
    ASSERT_TRUE(listening.ok());
    ASSERT_EQ(::chown(dir.file("otpd.sock").c_str(), kNobody, kNobody), 0);
    const Findings findings = check_otpd_socket(dir.file("otpd.sock"), kTimeout);
    ASSERT_EQ(findings.size(), 1U);
    EXPECT_NE(findings[0].problem.find("uid 65534"), std::string::npos) << dump(findings);
    EXPECT_NE(findings[0].problem.find("not root or _otpd"), std::string::npos) << dump(findings);
}

TEST(SocketCheck, StaleSocketNobodyListens) {
    TempDir dir;
    const UnixSocket stale(dir.file("otpd.sock"), false);
    ASSERT_TRUE(stale.ok());
    const Findings findings = check_otpd_socket(dir.file("otpd.sock"), kTimeout);
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    if (::geteuid() == 0) {
        EXPECT_NE(findings[0].problem.find("cannot connect to otpd"), std::string::npos)
            << dump(findings);
    }
}

// The socket file is root's, but the process behind it runs as nobody (SO_PEERCRED).
TEST(SocketCheck, PeerNotRootOrOtpd) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a listener as nobody";
    TempDir dir;
    ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
    int ready[2];
    int release[2];
    ASSERT_EQ(::pipe(ready), 0);
    ASSERT_EQ(::pipe(release), 0);
    const std::string path = dir.file("otpd.sock");
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(1);
        const UnixSocket listening(path, true);
        const char byte = listening.ok() ? 'y' : 'n';
        if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
        char wait_byte = 0;
        (void)::read(release[0], &wait_byte, 1);
        ::_exit(0);
    }
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);
    ASSERT_EQ(byte, 'y');
    ASSERT_EQ(::chown(path.c_str(), 0, 0), 0);
    const Findings findings = check_otpd_socket(path, kTimeout);
    ASSERT_EQ(::write(release[1], "x", 1), 1);
    int status = 0;
    ::waitpid(child, &status, 0);
    for (const int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
    ASSERT_EQ(findings.size(), 1U) << dump(findings);
    EXPECT_NE(findings[0].problem.find("the process listening on " + path +
                                       " does not run as root or _otpd"),
              std::string::npos)
        << dump(findings);
}

TEST(ClockCheck, SynchronisedClockIsFine) {
    EXPECT_TRUE(check_kernel_clock({TIME_OK, 0, 0}).empty());
    EXPECT_TRUE(check_kernel_clock({TIME_INS, STA_PLL, 0}).empty());
}

TEST(ClockCheck, UnsynchronisedClockIsReported) {
    for (const KernelClockState state :
         {KernelClockState{TIME_ERROR, STA_UNSYNC, 0},
          KernelClockState{TIME_OK, STA_UNSYNC | STA_PLL, 0}, KernelClockState{TIME_ERROR, 0, 0}}) {
        const Findings findings = check_kernel_clock(state);
        ASSERT_EQ(findings.size(), 1U);
        EXPECT_EQ(findings[0].check, "clock");
        EXPECT_EQ(findings[0].severity, Severity::Warning);
        EXPECT_NE(findings[0].problem.find("kernel clock not synchronised (STA_UNSYNC)"),
                  std::string::npos);
        EXPECT_NE(findings[0].fix.find("timedatectl"), std::string::npos);
        EXPECT_NE(findings[0].fix.find("--skip clock"), std::string::npos);
    }
}

TEST(ClockCheck, UnreadableClockStateIsReported) {
    const Findings findings = check_kernel_clock({-1, 0, EPERM});
    ASSERT_EQ(findings.size(), 1U);
    EXPECT_NE(findings[0].problem.find("Operation not permitted"), std::string::npos)
        << dump(findings);
}

TEST(ClockCheck, RealKernelClockCanBeRead) {
    const KernelClockState state = kotp::admin::read_kernel_clock();
    ASSERT_GE(state.result, 0) << std::strerror(state.error);
    // Whatever this machine's state, the finding follows the STA_UNSYNC bit.
    const bool unsynchronised = (state.status & STA_UNSYNC) != 0 || state.result == TIME_ERROR;
    EXPECT_EQ(check_kernel_clock(state).size(), unsynchronised ? 1U : 0U);
}

}  // namespace
