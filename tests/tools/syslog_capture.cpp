// libkotp_syslog_capture.so: an LD_PRELOAD library that catches what a process sends to syslog
// and appends it to the file named by KOTP_SYSLOG_CAPTURE, one line per message:
//
//   <priority> <message>        e.g. "alert pam_kotp(kotp-test:auth): KC2001 ..."
//
// Tests use it to check pam_kotp's log lines without a syslog daemon. Linux-PAM's pam_syslog
// calls __syslog_chk (glibc with _FORTIFY_SOURCE); the plain functions are caught too. Without
// KOTP_SYSLOG_CAPTURE the messages are dropped.
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

const char* priority_name(int priority) {
    static const char* const kNames[] = {"emerg",   "alert",  "crit", "err",
                                         "warning", "notice", "info", "debug"};
    return kNames[LOG_PRI(priority)];
}

void capture(int priority, const char* format, va_list args) {
    const char* path = std::getenv("KOTP_SYSLOG_CAPTURE");
    if (path == nullptr || *path == '\0' || format == nullptr) return;
    char message[8192];
    std::vsnprintf(message, sizeof message, format, args);
    char line[8300];
    const int length =
        std::snprintf(line, sizeof line, "%s %s\n", priority_name(priority), message);
    if (length <= 0) return;
    const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    const auto size = static_cast<std::size_t>(length) < sizeof line
                          ? static_cast<std::size_t>(length)
                          : sizeof line - 1;
    [[maybe_unused]] const ssize_t written = ::write(fd, line, size);
    ::close(fd);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void openlog(const char*, int, int) {}
__attribute__((visibility("default"))) void closelog() {}

__attribute__((visibility("default"))) void vsyslog(int priority, const char* format,
                                                    va_list args) {
    capture(priority, format, args);
}

__attribute__((visibility("default"))) void syslog(int priority, const char* format, ...) {
    va_list args;
    va_start(args, format);
    capture(priority, format, args);
    va_end(args);
}

__attribute__((visibility("default"))) void __vsyslog_chk(int priority, int, const char* format,
                                                          va_list args) {
    capture(priority, format, args);
}

__attribute__((visibility("default"))) void __syslog_chk(int priority, int, const char* format,
                                                         ...) {
    va_list args;
    va_start(args, format);
    capture(priority, format, args);
    va_end(args);
}

}  // extern "C"
