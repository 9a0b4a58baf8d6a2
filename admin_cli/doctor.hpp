// kotp-admin doctor: reads the effective sshd configuration and the PAM stacks, checks otpd's
// socket and the kernel clock, and reports each mistake that lets logins skip or never reach the
// second factor, or breaks it, each with where and how to fix it. It needs no running otpd.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "doctor_finding.hpp"
#include "system_checks.hpp"

namespace kotp::admin {

struct DoctorOptions {
    std::string sshd_config = "/etc/ssh/sshd_config";
    std::string pam_dir = "/etc/pam.d";
    std::vector<std::string> services{"sshd", "login"};
    std::vector<std::string> skip;  // of kDoctorChecks
};

// The names --skip takes.
inline const std::vector<std::string> kDoctorChecks{"sshd", "pam", "socket", "clock"};

// What doctor cannot find out alone; tests pass their own clock.
struct DoctorProbes {
    std::string socket_path;  // from --socket, KOTP_SOCKET or the default
    std::chrono::milliseconds timeout{5000};
    ClockReader read_clock = read_kernel_clock;
};

struct StackDescription {
    std::string service;
    std::string file;
    std::string modules;  // describe_auth_stack()
};

struct DoctorReport {
    Findings findings;
    std::vector<StackDescription> stacks;  // the PAM auth stacks read, for the admin's eye

    int errors() const;
    int warnings() const;
};

DoctorReport diagnose(const DoctorOptions& options, const DoctorProbes& probes);

// One block per finding (severity and problem, where, fix), the auth stacks read, then
// "N problem(s) found" or "no problem found".
void print_doctor_report(std::ostream& out, const DoctorReport& report);

// {"findings":[{"check","severity","problem","where","fix"}...],"errors":N,"warnings":M,
//  "stacks":[{"service","file","modules"}...]}
nlohmann::json doctor_report_json(const DoctorReport& report);

// Prints the report (JSON with ctx.json); exit status 0 when nothing was found, else 1
// (kExitRefused).
int run_doctor(const Context& ctx, const DoctorOptions& options);
int run_doctor(const Context& ctx, const DoctorOptions& options, const DoctorProbes& probes);

// "" when `name` can be a PAM service name (a file in --pam-dir), else why not.
std::string doctor_service_name_problem(std::string_view name);

// The text under "doctor --help".
const char* doctor_help_footer();

}  // namespace kotp::admin
