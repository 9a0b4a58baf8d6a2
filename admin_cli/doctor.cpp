#include "doctor.hpp"

#include <algorithm>
#include <exception>

#include "output.hpp"
#include "pam_checks.hpp"
#include "pam_stack_reader.hpp"
#include "sshd_checks.hpp"
#include "sshd_config_reader.hpp"

namespace kotp::admin {
namespace {

bool skipped(const DoctorOptions& options, std::string_view check) {
    return std::find(options.skip.begin(), options.skip.end(), check) != options.skip.end();
}

void append(Findings& to, Findings from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

// otpd's socket as kotp-admin knows it, and every other one a pam_kotp.so line names.
Findings check_sockets(const DoctorProbes& probes,
                       const std::vector<KotpSocketArgument>& from_pam) {
    Findings findings = check_otpd_socket(probes.socket_path, probes.timeout);
    std::vector<std::string> checked{probes.socket_path};
    for (const KotpSocketArgument& argument : from_pam) {
        if (std::find(checked.begin(), checked.end(), argument.path) != checked.end()) continue;
        checked.push_back(argument.path);
        append(findings, check_otpd_socket(argument.path, probes.timeout,
                                           "socket= of pam_kotp.so at " + argument.where));
    }
    return findings;
}

void print_finding(std::ostream& out, const Finding& finding) {
    out << to_string(finding.severity) << ": " << printable(finding.problem) << "\n";
    if (!finding.where.empty()) out << "  where: " << printable(finding.where) << "\n";
    std::string_view fix = finding.fix;
    const char* label = "  fix:   ";
    while (!fix.empty()) {
        const auto newline = fix.find('\n');
        out << label << printable(fix.substr(0, newline)) << "\n";
        label = "         ";
        if (newline == std::string_view::npos) break;
        fix.remove_prefix(newline + 1);
    }
}

std::string plural(int count, const char* word) {
    return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

}  // namespace

int DoctorReport::errors() const {
    return static_cast<int>(std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
        return f.severity == Severity::Error;
    }));
}

int DoctorReport::warnings() const {
    return static_cast<int>(findings.size()) - errors();
}

DoctorReport diagnose(const DoctorOptions& options, const DoctorProbes& probes) {
    DoctorReport report;
    if (!skipped(options, "sshd"))
        append(report.findings, check_sshd_config(read_sshd_config(options.sshd_config)));
    std::vector<KotpSocketArgument> sockets_from_pam;
    if (!skipped(options, "pam")) {
        for (const std::string& service : options.services) {
            const PamStack stack = read_pam_auth_stack(options.pam_dir, service);
            append(report.findings, check_pam_stack(stack));
            if (stack.exists)
                report.stacks.push_back({service, stack.file, describe_auth_stack(stack)});
            const auto sockets = kotp_socket_arguments(stack);
            sockets_from_pam.insert(sockets_from_pam.end(), sockets.begin(), sockets.end());
        }
    }
    if (!skipped(options, "socket"))
        append(report.findings, check_sockets(probes, sockets_from_pam));
    if (!skipped(options, "clock"))
        append(report.findings, check_kernel_clock(probes.read_clock()));
    return report;
}

void print_doctor_report(std::ostream& out, const DoctorReport& report) {
    for (const Finding& finding : report.findings) {
        print_finding(out, finding);
        out << "\n";
    }
    if (!report.stacks.empty()) {
        out << "PAM auth stacks read:\n";
        for (const StackDescription& stack : report.stacks)
            out << "  " << stack.service << ": " << printable(stack.modules) << "\n";
        out << "\n";
    }
    if (report.findings.empty()) {
        out << "no problem found\n";
        return;
    }
    out << plural(static_cast<int>(report.findings.size()), "problem") << " found ("
        << plural(report.errors(), "error") << ", " << plural(report.warnings(), "warning")
        << ")\n";
}

nlohmann::json doctor_report_json(const DoctorReport& report) {
    nlohmann::json findings = nlohmann::json::array();
    for (const Finding& finding : report.findings)
        findings.push_back({{"check", finding.check},
                            {"severity", to_string(finding.severity)},
                            {"problem", finding.problem},
                            {"where", finding.where},
                            {"fix", finding.fix}});
    nlohmann::json stacks = nlohmann::json::array();
    for (const StackDescription& stack : report.stacks)
        stacks.push_back(
            {{"service", stack.service}, {"file", stack.file}, {"modules", stack.modules}});
    return {{"findings", findings},
            {"errors", report.errors()},
            {"warnings", report.warnings()},
            {"stacks", stacks}};
}

int run_doctor(const Context& ctx, const DoctorOptions& options) {
    DoctorProbes probes;
    probes.socket_path = ctx.socket_path;
    probes.timeout = std::min(ctx.timeout, std::chrono::milliseconds(5000));
    return run_doctor(ctx, options, probes);
}

int run_doctor(const Context& ctx, const DoctorOptions& options, const DoctorProbes& probes) {
    try {
        const DoctorReport report = diagnose(options, probes);
        if (ctx.json)
            *ctx.out << doctor_report_json(report).dump(2) << "\n";
        else
            print_doctor_report(*ctx.out, report);
        return report.findings.empty() ? kExitOk : kExitRefused;
    } catch (const std::exception& error) {
        // Not expected (the readers report bad input as findings), but never an abort.
        *ctx.err << ctx.program << ": doctor: " << error.what() << "\n";
        return kExitRefused;
    }
}

std::string doctor_service_name_problem(std::string_view name) {
    if (name.empty()) return "a service name must not be empty";
    if (name == "." || name == ".." || name.find('/') != std::string_view::npos)
        return "a service name is a file name in --pam-dir, not a path: " + std::string(name);
    if (std::any_of(name.begin(), name.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }))
        return "a service name must not contain control characters";
    return "";
}

const char* doctor_help_footer() {
    return R"(Checks, each skippable with --skip:
  sshd    the effective sshd configuration (Include drop-ins, the first value wins):
          UsePAM yes, KbdInteractiveAuthentication yes, AuthenticationMethods with
          keyboard-interactive in every list; Match blocks that weaken these
  pam     the auth stack of each service: pam_kotp.so present, required, not after a
          sufficient module or jumped over, included files present
  socket  otpd's socket (--socket, KOTP_SOCKET or /run/otpd/otpd.sock, and any
          socket= of pam_kotp.so): a socket owned by root or _otpd that answers
  clock   the kernel clock is synchronised (not STA_UNSYNC)
Use --skip for what you know about, e.g. --skip clock on a VM or container whose
clock the host keeps right although the kernel reports STA_UNSYNC, or --skip sshd
on a host without sshd.

Exit status:
  0  no problem found
  1  at least one problem (error or warning) found
  2  usage error: bad option or value)";
}

}  // namespace kotp::admin
