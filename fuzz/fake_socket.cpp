// The fake otpd behind the socket calls of common/src/client.cpp. The fuzz target is linked with
// -Wl,--wrap=NAME for each call below, so the module's calls land in __wrap_NAME. Inside
// pam_sm_authenticate (scenario().active) they serve the fake socket from the fuzz input;
// anything else (libFuzzer reading its corpus) goes to the real call.
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fuzz_pam.hpp"

using kotp::fuzz::kFakeSocketFd;
using kotp::fuzz::kOtpdUid;
using kotp::fuzz::scenario;

extern "C" {

int __real_socket(int domain, int type, int protocol);
int __real_connect(int fd, const struct sockaddr* address, socklen_t length);
int __real_getsockopt(int fd, int level, int name, void* value, socklen_t* length);
ssize_t __real_send(int fd, const void* buffer, std::size_t length, int flags);
ssize_t __real_recv(int fd, void* buffer, std::size_t length, int flags);
int __real_poll(struct pollfd* fds, nfds_t count, int timeout);
int __real_close(int fd);
int __real_stat(const char* path, struct stat* out);
int __real_getpwnam_r(const char* name, struct passwd* pw, char* buffer, std::size_t size,
                      struct passwd** result);

}  // extern "C"

namespace {

[[noreturn]] void misuse(const char* what) {
    std::fprintf(stderr, "fuzz_pam: %s\n", what);
    std::abort();
}

bool fake(int fd) {
    if (!scenario().active) return false;
    if (fd != kFakeSocketFd) misuse("a socket call on a descriptor the module did not get from socket()");
    if (!scenario().otpd.open) misuse("a socket call on the fake socket after close()");
    return true;
}

}  // namespace

extern "C" {

int __wrap_stat(const char* path, struct stat* out) {
    if (!scenario().active) return __real_stat(path, out);
    const auto& otpd = scenario().otpd;
    std::memset(out, 0, sizeof *out);
    switch (otpd.stat_mode) {
        case 1:
            errno = ENOENT;
            return -1;
        case 2:
            out->st_mode = S_IFREG | 0644;
            return 0;
        default:
            out->st_mode = S_IFSOCK | 0666;
            out->st_uid = otpd.stat_mode == 3 ? kOtpdUid : otpd.stat_mode == 4 ? 1000 : 0;
            return 0;
    }
}

int __wrap_getpwnam_r(const char* name, struct passwd* pw, char* buffer, std::size_t size,
                      struct passwd** result) {
    if (!scenario().active) return __real_getpwnam_r(name, pw, buffer, size, result);
    *result = nullptr;
    const auto& otpd = scenario().otpd;
    if (otpd.passwd_mode == 2) return ERANGE;
    if (otpd.passwd_mode == 1 || std::strcmp(name, "_otpd") != 0) return 0;
    std::memset(pw, 0, sizeof *pw);
    pw->pw_uid = kOtpdUid;
    pw->pw_gid = kOtpdUid;
    *result = pw;
    return 0;
}

int __wrap_socket(int domain, int type, int protocol) {
    if (!scenario().active) return __real_socket(domain, type, protocol);
    auto& otpd = scenario().otpd;
    if (otpd.open) misuse("a second socket while the first is open");
    if (domain != AF_UNIX) misuse("a socket that is not AF_UNIX");
    if (otpd.socket_fails) {
        errno = EMFILE;
        return -1;
    }
    otpd.open = true;
    ++otpd.sockets;
    return kFakeSocketFd;
}

int __wrap_connect(int fd, const struct sockaddr* address, socklen_t length) {
    if (!fake(fd)) return __real_connect(fd, address, length);
    switch (scenario().otpd.connect_mode) {
        case 0:
            return 0;
        case 1:
            errno = ECONNREFUSED;
            return -1;
        default:
            errno = EINPROGRESS;
            return -1;
    }
}

int __wrap_getsockopt(int fd, int level, int name, void* value, socklen_t* length) {
    if (!fake(fd)) return __real_getsockopt(fd, level, name, value, length);
    const auto& otpd = scenario().otpd;
    if (level == SOL_SOCKET && name == SO_ERROR && *length >= sizeof(int)) {
        const int error = otpd.connect_mode == 3 ? ECONNREFUSED : 0;
        std::memcpy(value, &error, sizeof error);
        return 0;
    }
    if (level == SOL_SOCKET && name == SO_PEERCRED && *length >= sizeof(struct ucred)) {
        if (otpd.peer_mode == 3) {
            errno = ENOTCONN;
            return -1;
        }
        struct ucred cred {};
        cred.pid = 4242;
        cred.uid = otpd.peer_mode == 1 ? kOtpdUid : otpd.peer_mode == 2 ? 1000 : 0;
        std::memcpy(value, &cred, sizeof cred);
        *length = sizeof cred;
        return 0;
    }
    misuse("getsockopt of an option the fake does not know");
}

ssize_t __wrap_send(int fd, const void* buffer, std::size_t length, int flags) {
    if (!fake(fd)) return __real_send(fd, buffer, length, flags);
    if (length == 0) misuse("send of nothing");
    auto& in = *scenario().script;
    auto& otpd = scenario().otpd;
    std::size_t n = length;
    switch (in.u8() % 8) {
        case 1:  // a short write
            n = std::min<std::size_t>(length, 1 + in.u8());
            break;
        case 2: errno = EINTR; return -1;
        case 3: errno = EAGAIN; return -1;
        case 4: errno = EPIPE; return -1;
        case 5: errno = EIO; return -1;
        default: break;
    }
    otpd.sent.append(static_cast<const char*>(buffer), n);
    return static_cast<ssize_t>(n);
}

ssize_t __wrap_recv(int fd, void* buffer, std::size_t length, int flags) {
    if (!fake(fd)) return __real_recv(fd, buffer, length, flags);
    if (length == 0) misuse("recv into nothing");
    auto& in = *scenario().script;
    auto& otpd = scenario().otpd;
    std::size_t n = length;
    switch (in.u8() % 8) {
        case 1:  // a short read
            n = std::min<std::size_t>(length, 1 + in.u8());
            break;
        case 2: errno = EINTR; return -1;
        case 3: errno = EAGAIN; return -1;
        case 4: errno = ECONNRESET; return -1;
        case 5: errno = EIO; return -1;
        case 6: return 0;  // otpd closed the connection, maybe in the middle of a frame
        default: break;
    }
    n = std::min(n, otpd.replies.size() - otpd.delivered);
    if (n == 0) return 0;  // nothing more to say: EOF
    std::memcpy(buffer, otpd.replies.data() + otpd.delivered, n);
    otpd.deliveries.emplace_back(otpd.delivered, otpd.sent.size());
    otpd.delivered += n;
    return static_cast<ssize_t>(n);
}

int __wrap_poll(struct pollfd* fds, nfds_t count, int timeout) {
    if (count != 1 || !fake(fds[0].fd)) return __real_poll(fds, count, timeout);
    if (timeout < 0) misuse("poll without a timeout");
    switch (scenario().script->u8() % 6) {
        case 1: return 0;  // the deadline passed
        case 2: errno = EINTR; return -1;
        case 3: errno = ENOMEM; return -1;
        default:
            fds[0].revents = fds[0].events;
            return 1;
    }
}

int __wrap_close(int fd) {
    if (!scenario().active || fd != kFakeSocketFd) return __real_close(fd);
    if (!scenario().otpd.open) misuse("close of the fake socket twice");
    scenario().otpd.open = false;
    return 0;
}

}  // extern "C"
