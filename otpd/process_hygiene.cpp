#include "process_hygiene.hpp"

#include <dirent.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace kotp::otpd {
namespace {

// The number of sockets systemd passes to this process, as sd_listen_fds() would count them,
// without unsetting the variables (open_listener reads them later).
int passed_socket_count() {
    const char* pid_text = std::getenv("LISTEN_PID");
    const char* fds_text = std::getenv("LISTEN_FDS");
    if (pid_text == nullptr || fds_text == nullptr) return 0;
    long pid = 0;
    int fds = 0;
    const std::string_view p(pid_text), f(fds_text);
    if (std::from_chars(p.data(), p.data() + p.size(), pid).ec != std::errc{} || pid != ::getpid()) return 0;
    if (std::from_chars(f.data(), f.data() + f.size(), fds).ec != std::errc{} || fds < 0 || fds > 64) return 0;
    return fds;
}

}  // namespace

int close_inherited_fds() {
    const int first = 3 + passed_socket_count();
    // Read the list first, then close: closing while iterating would close the directory's own fd.
    std::vector<int> open_fds;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        const int own = ::dirfd(d);
        while (const dirent* e = ::readdir(d)) {
            int fd = -1;
            const std::string_view name(e->d_name);
            if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{}) continue;
            if (fd >= first && fd != own) open_fds.push_back(fd);
        }
        ::closedir(d);
    } else {
        // No /proc (a chroot without it): close the whole range the kernel allows.
        for (int fd = first; fd < 65536; ++fd) {
            if (::close(fd) == 0) open_fds.push_back(fd);
        }
        return static_cast<int>(open_fds.size());
    }
    for (const int fd : open_fds) ::close(fd);
    return static_cast<int>(open_fds.size());
}

std::string forbid_core_dumps() {
    const rlimit none{0, 0};
    if (::setrlimit(RLIMIT_CORE, &none) != 0) return std::string("cannot set RLIMIT_CORE to 0: ") + std::strerror(errno);
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return std::string("cannot clear PR_SET_DUMPABLE: ") + std::strerror(errno);
    return "";
}

bool running_as_root() {
    uid_t r = 0, e = 0, s = 0;
    if (::getresuid(&r, &e, &s) != 0) return true;  // cannot tell: assume the worst
    return r == 0 || e == 0 || s == 0;
}

}  // namespace kotp::otpd
