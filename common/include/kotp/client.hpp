// A blocking client for the otpd socket with a deadline on every step, used by pam_kotp.so and
// the CLIs. Plain POSIX: no Boost, no OpenSSL, so the module can link it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "kotp/codec.hpp"
#include "kotp/wipe.hpp"
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

// Whom the socket file and the peer (SO_PEERCRED) must belong to before anything is sent.
enum class TrustedOwner : std::uint8_t {
    RootOrOtpd,        // pam_kotp.so: root or the _otpd system user only (DESIGN section 1)
    RootOtpdOrSelf,    // the CLIs: also our own effective uid, so an otpd run in a folder by
                       // the same user (tests, demos) can be administered
};

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

    // Connects to `socket_path` after checking that the socket file, and then the peer
    // (SO_PEERCRED), belong to a trusted owner.
    ClientError connect(const std::string& socket_path, std::chrono::milliseconds timeout,
                        TrustedOwner trusted);

    // Sends one whole frame; the timeout covers the whole write.
    ClientError send(const std::vector<std::uint8_t>& frame, std::chrono::milliseconds timeout);

    // Reads one frame with a payload of at most max_payload bytes; the timeout covers the whole
    // frame.
    ClientError receive(Frame& out, std::chrono::milliseconds timeout,
                        std::uint32_t max_payload = wire::kMaxReplyPayload);

    // Encodes and sends `request`, then reads one reply frame. The encoded request is wiped
    // after sending: it may hold a code or a secret.
    template <typename Request>
    ClientError call(const Request& request, Frame& reply, std::chrono::milliseconds timeout) {
        auto frame = wire::encode_frame(request);
        if (frame.empty()) return ClientError::BadFrame;
        const auto e = send(frame, timeout);
        wipe(frame);
        if (e != ClientError::None) return e;
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
