#include "system_checks.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <sys/timex.h>

#include <cerrno>
#include <cstring>

#include "kotp/client.hpp"

namespace kotp::admin {
namespace {

// How to get otpd listening; the second line depends on where the path came from.
std::string start_otpd(const std::string& where_from) {
    return std::string(
               "systemctl enable --now otpd.socket (check with \"systemctl status otpd.socket "
               "otpd.service\" and \"journalctl -u otpd\")\n") +
           (where_from.starts_with("socket=")
                ? "or make socket= of that pam_kotp.so line name the socket otpd listens on"
                : "if otpd listens elsewhere, give its path with --socket");
}

Finding socket_finding(std::string problem, std::string where, std::string fix) {
    return Finding{"socket", Severity::Error, std::move(problem), std::move(where), std::move(fix)};
}

std::string user_name(uid_t uid) {
    struct passwd pw {};
    struct passwd* result = nullptr;
    char buffer[1024];
    if (getpwuid_r(uid, &pw, buffer, sizeof buffer, &result) == 0 && result != nullptr)
        return std::string(result->pw_name) + " (uid " + std::to_string(uid) + ")";
    return "uid " + std::to_string(uid);
}

bool owned_by_root_or_otpd(uid_t uid) {
    if (uid == 0) return true;
    struct passwd pw {};
    struct passwd* result = nullptr;
    char buffer[1024];
    return getpwnam_r("_otpd", &pw, buffer, sizeof buffer, &result) == 0 && result != nullptr &&
           result->pw_uid == uid;
}

const char* file_kind(mode_t mode) {
    if (S_ISREG(mode)) return "a regular file";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISLNK(mode)) return "a symbolic link";
    if (S_ISFIFO(mode)) return "a FIFO";
    return "not a socket";
}

}  // namespace

Findings check_otpd_socket(const std::string& path, std::chrono::milliseconds timeout,
                           const std::string& where_from) {
    const std::string where = where_from.empty() ? path : path + " (" + where_from + ")";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int error = errno;
        return {socket_finding("otpd's socket " + path + ": " + std::strerror(error) +
                                   ": pam_kotp.so refuses every login (KC2001) while it is missing",
                               where, start_otpd(where_from))};
    }
    if (!S_ISSOCK(st.st_mode))
        return {socket_finding(path + " is " + file_kind(st.st_mode) +
                                   ", not a socket: pam_kotp.so cannot reach otpd and refuses "
                                   "every login (KC2001)",
                               where,
                               "remove " + path + " and run \"systemctl restart otpd.socket\"")};
    if (!owned_by_root_or_otpd(st.st_uid))
        return {socket_finding(path + " is owned by " + user_name(st.st_uid) +
                                   ", not root or _otpd: pam_kotp.so refuses to use it (KC2002)",
                               where,
                               "find what created it (it may not be otpd), remove it and run "
                               "\"systemctl restart otpd.socket\"")};
    OtpdConnection connection;
    const ClientError error = connection.connect(path, timeout, TrustedOwner::RootOrOtpd);
    if (error == ClientError::None) return {};
    if (error == ClientError::UntrustedOwner)
        return {socket_finding("the process listening on " + path +
                                   " does not run as root or _otpd: pam_kotp.so refuses to talk to "
                                   "it (KC2002)",
                               where,
                               "stop that process and run \"systemctl restart otpd.socket\"")};
    return {socket_finding(std::string("cannot connect to otpd at ") + path + ": " +
                               to_string(error) + ": pam_kotp.so refuses every login (KC2001)",
                           where, start_otpd(where_from))};
}

KernelClockState read_kernel_clock() {
    struct timex request {};
    request.modes = 0;  // read only
    KernelClockState state;
    state.result = ::ntp_adjtime(&request);
    state.error = state.result < 0 ? errno : 0;
    state.status = request.status;
    return state;
}

Findings check_kernel_clock(const KernelClockState& state) {
    const std::string fix =
        "enable time synchronisation: \"systemctl enable --now systemd-timesyncd\" (or install "
        "chrony), then check that \"timedatectl\" says \"System clock synchronized: yes\"\n"
        "if this clock is known to be right (e.g. a VM or container whose host keeps time), "
        "run doctor with --skip clock";
    if (state.result < 0)
        return {Finding{"clock", Severity::Warning,
                        std::string("cannot read the kernel clock state (ntp_adjtime: ") +
                            std::strerror(state.error) + ")",
                        "kernel clock", fix}};
    if ((state.status & STA_UNSYNC) == 0 && state.result != TIME_ERROR) return {};
    return {Finding{"clock", Severity::Warning,
                    "kernel clock not synchronised (STA_UNSYNC): TOTP codes follow the clock, and "
                    "a drifting clock makes otpd refuse right codes (KS1003, KS1006)",
                    "kernel clock", fix}};
}

}  // namespace kotp::admin
