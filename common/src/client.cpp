#include "kotp/client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace kotp {
namespace {

using Clock = std::chrono::steady_clock;

bool trusted_uid(uid_t uid, TrustedOwner trusted) {
    if (uid == 0) return true;
    if (trusted == TrustedOwner::RootOtpdOrSelf && uid == geteuid()) return true;
    struct passwd pw {};
    struct passwd* result = nullptr;
    char buf[1024];
    if (getpwnam_r("_otpd", &pw, buf, sizeof buf, &result) != 0 || result == nullptr) return false;
    return result->pw_uid == uid;
}

// Waits until fd is ready for `events` or the deadline passes.
ClientError wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return ClientError::Timeout;
        struct pollfd p {fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0) {
            if (errno == EINTR) continue;
            return ClientError::IoError;
        }
        if (n == 0) return ClientError::Timeout;
        return ClientError::None;
    }
}

}  // namespace

const char* to_string(ClientError e) noexcept {
    switch (e) {
        case ClientError::None: return "no error";
        case ClientError::NoSocket: return "socket not found";
        case ClientError::UntrustedOwner: return "socket not owned by root or _otpd";
        case ClientError::ConnectFailed: return "connection refused (is otpd running?)";
        case ClientError::Timeout: return "timed out waiting for otpd";
        case ClientError::Closed: return "otpd closed the connection";
        case ClientError::IoError: return "I/O error on the otpd socket";
        case ClientError::BadFrame: return "malformed reply from otpd";
    }
    return "unknown error";
}

OtpdConnection::~OtpdConnection() { close(); }

void OtpdConnection::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

ClientError OtpdConnection::connect(const std::string& socket_path, std::chrono::milliseconds timeout,
                                    TrustedOwner trusted) {
    close();
    const auto deadline = Clock::now() + timeout;
    struct sockaddr_un addr {};
    if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) return ClientError::NoSocket;
    struct stat st {};
    if (::stat(socket_path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return ClientError::NoSocket;
    if (!trusted_uid(st.st_uid, trusted)) return ClientError::UntrustedOwner;

    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) return ClientError::IoError;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    if (::connect(fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno != EINPROGRESS && errno != EAGAIN) {
            close();
            return ClientError::ConnectFailed;
        }
        if (auto e = wait_for(fd_, POLLOUT, deadline); e != ClientError::None) {
            close();
            return e;
        }
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            close();
            return ClientError::ConnectFailed;
        }
    }
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || !trusted_uid(cred.uid, trusted)) {
        close();
        return ClientError::UntrustedOwner;
    }
    return ClientError::None;
}

ClientError OtpdConnection::send(const std::vector<std::uint8_t>& frame, std::chrono::milliseconds timeout) {
    if (fd_ < 0) return ClientError::Closed;
    const auto deadline = Clock::now() + timeout;
    std::size_t sent = 0;
    while (sent < frame.size()) {
        const ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (auto e = wait_for(fd_, POLLOUT, deadline); e != ClientError::None) return e;
            continue;
        }
        return (n < 0 && errno == EPIPE) ? ClientError::Closed : ClientError::IoError;
    }
    return ClientError::None;
}

namespace {

ClientError read_exactly(int fd, std::uint8_t* out, std::size_t size, Clock::time_point deadline) {
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::recv(fd, out + got, size - got, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
            continue;
        }
        if (n == 0) return ClientError::Closed;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (auto e = wait_for(fd, POLLIN, deadline); e != ClientError::None) return e;
            continue;
        }
        return errno == ECONNRESET ? ClientError::Closed : ClientError::IoError;
    }
    return ClientError::None;
}

}  // namespace

ClientError OtpdConnection::receive(Frame& out, std::chrono::milliseconds timeout, std::uint32_t max_payload) {
    if (fd_ < 0) return ClientError::Closed;
    const auto deadline = Clock::now() + timeout;
    std::uint8_t header_bytes[wire::kHeaderSize];
    if (auto e = read_exactly(fd_, header_bytes, sizeof header_bytes, deadline); e != ClientError::None)
        return e;
    wire::FrameHeader header;
    if (wire::parse_header(std::span<const std::uint8_t, wire::kHeaderSize>(header_bytes), max_payload,
                           header) != wire::DecodeError::None)
        return ClientError::BadFrame;
    out.type = header.type;
    out.payload.assign(header.payload_length, 0);
    return read_exactly(fd_, out.payload.data(), out.payload.size(), deadline);
}

std::string default_socket_path() {
    const char* env = std::getenv("KOTP_SOCKET");
    return (env != nullptr && *env != '\0') ? std::string(env) : std::string(kDefaultSocketPath);
}

}  // namespace kotp
