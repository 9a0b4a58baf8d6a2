#include "listener.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kotp::otpd {

Listener open_listener(const std::string& path, std::string& error) {
    Listener l;
    const int passed = sd_listen_fds(1);
    if (passed > 1) {
        error = "systemd passed " + std::to_string(passed) + " sockets; otpd expects one";
        return l;
    }
    if (passed == 1) {
        if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, nullptr, 0) <= 0) {
            error = "the socket systemd passed is not a listening Unix stream socket";
            return l;
        }
        l.fd = SD_LISTEN_FDS_START;
        ::fcntl(l.fd, F_SETFD, FD_CLOEXEC);
        l.activated = true;
        return l;
    }

    struct sockaddr_un addr {};
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
        error = "socket path is empty or longer than " + std::to_string(sizeof addr.sun_path - 1) + " bytes";
        return l;
    }
    const std::string lock_path = path + ".lock";
    l.lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (l.lock_fd < 0) {
        error = "cannot open lock file " + lock_path + ": " + std::strerror(errno);
        return l;
    }
    if (::flock(l.lock_fd, LOCK_EX | LOCK_NB) != 0) {
        error = "another otpd is already serving " + path + " (lock " + lock_path + " is held)";
        ::close(l.lock_fd);
        l.lock_fd = -1;
        return l;
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            error = path + " exists and is not a socket; refusing to remove it";
            ::close(l.lock_fd);
            l.lock_fd = -1;
            return l;
        }
        ::unlink(path.c_str());  // stale: we hold the lock, so no live otpd owns it
    }
    l.fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (l.fd < 0 || ::bind(l.fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0 ||
        ::chmod(path.c_str(), 0666) != 0 || ::listen(l.fd, SOMAXCONN) != 0) {
        error = "cannot listen on " + path + ": " + std::strerror(errno);
        if (l.fd >= 0) ::close(l.fd);
        close_listener(l, path);
        return l;
    }
    return l;
}

void close_listener(Listener& l, const std::string& path) {
    if (!l.activated && l.lock_fd >= 0) {
        ::unlink(path.c_str());
        ::close(l.lock_fd);
    }
    l.lock_fd = -1;
    l.fd = -1;  // the acceptor owns and closes it
}

}  // namespace kotp::otpd
