// kotp-admin doctor as a whole, in process: the checks together (with an injected kernel clock),
// --skip, the human report and the JSON document, and the exit status.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "doctor.hpp"
#include "doctor_test_support.hpp"

namespace {

using kotp::admin::Context;
using kotp::admin::diagnose;
using kotp::admin::DoctorOptions;
using kotp::admin::DoctorProbes;
using kotp::admin::DoctorReport;
using kotp::admin::KernelClockState;
using kotp::test::dump;
using kotp::test::has_finding;
using kotp::test::put;
using kotp::test::TempDir;

KernelClockState synchronised() {
    return {TIME_OK, 0, 0};
}
KernelClockState unsynchronised() {
    return {TIME_ERROR, STA_UNSYNC, 0};
}

// A listening Unix socket, owned by whoever runs the test (root in the suite).
class Listener {
  public:
    explicit Listener(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr {};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
        ok_ = ::bind(fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) == 0 &&
              ::listen(fd_, 8) == 0;
    }
    ~Listener() { ::close(fd_); }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    bool ok() const { return ok_; }

  private:
    int fd_ = -1;
    bool ok_ = false;
};

struct Fixture {
    TempDir dir;
    DoctorOptions options;
    DoctorProbes probes;

    Fixture() {
        options.sshd_config = kotp::test::correct_tree(dir);
        options.pam_dir = dir.file("pam.d");
        probes.socket_path = dir.file("otpd.sock");
        probes.timeout = std::chrono::milliseconds(2000);
        probes.read_clock = synchronised;
    }
};

struct DoctorRun {
    int exit_code;
    std::string out;
    std::string err;
};

DoctorRun run_doctor(const DoctorOptions& options, const DoctorProbes& probes, bool json = false) {
    std::ostringstream out;
    std::ostringstream err;
    Context ctx;
    ctx.json = json;
    ctx.out = &out;
    ctx.err = &err;
    const int code = kotp::admin::run_doctor(ctx, options, probes);
    return {code, out.str(), err.str()};
}

TEST(Doctor, CorrectHostHasNoProblem) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the socket must be owned by root";
    Fixture f;
    const Listener otpd(f.probes.socket_path);
    ASSERT_TRUE(otpd.ok());
    const DoctorReport report = diagnose(f.options, f.probes);
    EXPECT_TRUE(report.findings.empty()) << dump(report.findings);
    ASSERT_EQ(report.stacks.size(), 2U);
    EXPECT_EQ(report.stacks[0].service, "sshd");
    EXPECT_EQ(report.stacks[0].modules, "pam_kotp.so required");
    const DoctorRun r = run_doctor(f.options, f.probes);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(
        r.out,
        "PAM auth stacks read:\n"
        "  sshd: pam_kotp.so required\n"
        "  login: pam_faildelay.so optional, pam_nologin.so requisite, pam_unix.so [success=1 "
        "default=ignore], pam_deny.so requisite, pam_permit.so required, pam_kotp.so required, "
        "pam_cap.so optional, pam_group.so optional\n"
        "\n"
        "no problem found\n");
}

TEST(Doctor, UnsynchronisedClockIsTheOnlyWarning) {
    Fixture f;
    f.probes.read_clock = unsynchronised;
    f.options.skip = {"socket"};
    const DoctorRun r = run_doctor(f.options, f.probes);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("warning: kernel clock not synchronised (STA_UNSYNC)"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("\n1 problem found (0 errors, 1 warning)\n"), std::string::npos) << r.out;
}

TEST(Doctor, SkipLeavesTheCheckOut) {
    Fixture f;
    f.probes.read_clock = unsynchronised;
    put(f.dir, "sshd_config.d/00-bad.conf", "UsePAM no\n");
    put(f.dir, "pam.d/sshd", "auth optional pam_kotp.so\n");
    f.options.skip = {"sshd", "pam", "socket", "clock"};
    DoctorReport report = diagnose(f.options, f.probes);
    EXPECT_TRUE(report.findings.empty()) << dump(report.findings);
    EXPECT_TRUE(report.stacks.empty());
    f.options.skip = {};
    report = diagnose(f.options, f.probes);
    EXPECT_TRUE(has_finding(report.findings, "sshd", "UsePAM is no"));
    EXPECT_TRUE(has_finding(report.findings, "pam", "optional"));
    EXPECT_TRUE(has_finding(report.findings, "socket", "No such file"));
    EXPECT_TRUE(has_finding(report.findings, "clock", "STA_UNSYNC"));
    EXPECT_EQ(report.findings.front().check, "sshd");  // in the order sshd, pam, socket, clock
    EXPECT_EQ(report.findings.back().check, "clock");
}

TEST(Doctor, SocketNamedByThePamLineIsCheckedToo) {
    Fixture f;
    f.options.skip = {"sshd", "clock"};
    put(f.dir, "pam.d/sshd", "auth required pam_kotp.so socket=" + f.dir.file("other.sock") + "\n");
    const DoctorReport report = diagnose(f.options, f.probes);
    EXPECT_TRUE(has_finding(report.findings, "socket", f.dir.file("otpd.sock")));
    EXPECT_TRUE(has_finding(report.findings, "socket", f.dir.file("other.sock"),
                            f.dir.file("other.sock") + " (socket= of pam_kotp.so at " +
                                f.dir.file("pam.d/sshd") + ":1)"))
        << dump(report.findings);
}

TEST(Doctor, HumanReportBlocks) {
    Fixture f;
    f.options.skip = {"socket", "clock"};
    const std::string drop_in =
        put(f.dir, "sshd_config.d/00-site.conf", "\nKbdInteractiveAuthentication no\n");
    const DoctorRun r = run_doctor(f.options, f.probes);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(r.err.empty());
    EXPECT_EQ(r.out.rfind("error: KbdInteractiveAuthentication is no: ", 0), 0U) << r.out;
    EXPECT_NE(r.out.find("\n  where: " + drop_in +
                         ":2\n  fix:   change that line to "
                         "\"KbdInteractiveAuthentication yes\"\n         the later "),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("\n1 problem found (1 error, 0 warnings)\n"), std::string::npos) << r.out;
}

TEST(Doctor, JsonReport) {
    Fixture f;
    f.options.skip = {"socket"};
    f.probes.read_clock = unsynchronised;
    put(f.dir, "pam.d/login", "auth sufficient pam_unix.so\nauth required pam_kotp.so\n");
    const DoctorRun r = run_doctor(f.options, f.probes, true);
    EXPECT_EQ(r.exit_code, 1);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc.at("errors"), 1);
    EXPECT_EQ(doc.at("warnings"), 1);
    ASSERT_EQ(doc.at("findings").size(), 2U);
    const auto& pam = doc.at("findings").at(0);
    EXPECT_EQ(pam.at("check"), "pam");
    EXPECT_EQ(pam.at("severity"), "error");
    EXPECT_EQ(pam.at("where"), f.dir.file("pam.d/login") + ":1");
    EXPECT_NE(pam.at("problem").get<std::string>().find("login: pam_unix.so is sufficient"),
              std::string::npos);
    EXPECT_FALSE(pam.at("fix").get<std::string>().empty());
    EXPECT_EQ(doc.at("findings").at(1).at("check"), "clock");
    EXPECT_EQ(doc.at("findings").at(1).at("severity"), "warning");
    EXPECT_EQ(doc.at("stacks").size(), 2U);
}

TEST(Doctor, JsonWithoutFindings) {
    Fixture f;
    f.options.skip = {"socket", "clock"};
    const DoctorRun r = run_doctor(f.options, f.probes, true);
    EXPECT_EQ(r.exit_code, 0);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_TRUE(doc.at("findings").empty());
    EXPECT_EQ(doc.at("errors"), 0);
    EXPECT_EQ(doc.at("warnings"), 0);
}

TEST(Doctor, ServiceNames) {
    EXPECT_EQ(kotp::admin::doctor_service_name_problem("sshd"), "");
    EXPECT_EQ(kotp::admin::doctor_service_name_problem("sshd-kotp"), "");
    EXPECT_NE(kotp::admin::doctor_service_name_problem(""), "");
    EXPECT_NE(kotp::admin::doctor_service_name_problem("../shadow"), "");
    EXPECT_NE(kotp::admin::doctor_service_name_problem(".."), "");
    EXPECT_NE(kotp::admin::doctor_service_name_problem("a\nb"), "");
}

}  // namespace
