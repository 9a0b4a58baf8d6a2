// A blocking client for the otpd socket with a deadline on every step, used by pam_kotp.so and
// the CLIs. Plain POSIX: no Boost, no OpenSSL, so the module can link it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kotp/codec.hpp"
#include "kotp/wire.hpp"

namespace kotp {

enum class ClientError : std::uint8_t {
    None = 0,
    NoSocket,        // the path does not exist or is not a socket
    UntrustedOwner,  // socket or peer not owned by root, _otpd or ourselves
    ConnectFailed,   // refused, or no daemon behind the path
    Timeout,         // the deadline passed
    Closed,          // otpd closed the connection
    IoError,
    BadFrame,        // a reply that does not decode
};

const char* to_string(ClientError e) noexcept;

struct Frame {
    wire::MessageType type{};
    std::vector<std::uint8_t> payload;
};

class OtpdConnection {
public:
    OtpdConnection() = default;
    ~OtpdConnection();
    OtpdConnection(const OtpdConnection&) = delete;
    OtpdConnection& operator=(const OtpdConnection&) = delete;

    // Connects to `socket_path`. With `check_owner`, the socket file and the peer (SO_PEERCRED)
    // must belong to root, the `_otpd` user, or our own effective uid, before anything is sent.
    ClientError connect(const std::string& socket_path, std::chrono::milliseconds timeout,
                        bool check_owner);

    // Sends one whole frame; the timeout covers the whole write.
    ClientError send(const std::vector<std::uint8_t>& frame, std::chrono::milliseconds timeout);

    // Reads one frame with a payload of at most max_payload bytes; the timeout covers the whole
    // frame.
    ClientError receive(Frame& out, std::chrono::milliseconds timeout,
                        std::uint32_t max_payload = wire::kMaxReplyPayload);

    // Encodes and sends `request`, then reads one reply frame.
    template <typename Request>
    ClientError call(const Request& request, Frame& reply, std::chrono::milliseconds timeout) {
        const auto frame = wire::encode_frame(request);
        if (frame.empty()) return ClientError::BadFrame;
        if (auto e = send(frame, timeout); e != ClientError::None) return e;
        return receive(reply, timeout);
    }

    void close();
    int fd() const { return fd_; }

private:
    int fd_ = -1;
};

// The socket path from KOTP_SOCKET, or the built-in default /run/otpd/otpd.sock.
std::string default_socket_path();

inline constexpr const char* kDefaultSocketPath = "/run/otpd/otpd.sock";

}  // namespace kotp
