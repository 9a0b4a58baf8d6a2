// One client connection: read a frame (with a deadline for the whole frame, so a slow or silent
// client is dropped), hand it to the RequestHandler, write the reply (with a deadline), repeat
// until the handler says close. A reply that follows a state change waits for its group's
// durable commit (commit_group.hpp).
#pragma once

#include <array>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "kotp/wire.hpp"
#include "peer.hpp"
#include "request_handler.hpp"

namespace kotp::otpd {

class CommitGroup;
class ConnectionLimits;

class Session : public std::enable_shared_from_this<Session> {
public:
    using Socket = boost::asio::local::stream_protocol::socket;

    Session(Socket socket, Peer peer, RequestHandler& handler, CommitGroup& group,
            std::shared_ptr<ConnectionLimits> limits,
            std::chrono::seconds io_timeout, std::chrono::seconds answer_timeout);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start() { read_header(); }

private:
    void arm_timer(std::chrono::seconds timeout);
    void read_header();
    void fill_header();
    void on_header();
    void read_payload(std::size_t have);
    // Moves up to n bytes from the front of the inbox to out (the rest moves up, the vacated
    // bytes are wiped); returns how many.
    std::size_t take(std::uint8_t* out, std::size_t n) noexcept;
    void process();
    void finish(HandlerResult result);
    void write_reply(std::vector<std::uint8_t> frame, bool close_after);
    void close();

    Socket socket_;
    Peer peer_;
    RequestHandler& handler_;
    CommitGroup& group_;
    // Shared with the server: a session may be destroyed after the server (by the io_context's
    // destructor, with handlers that never ran after a stop) and must still release its slot.
    std::shared_ptr<ConnectionLimits> limits_;
    std::chrono::seconds io_timeout_;
    std::chrono::seconds answer_timeout_;
    boost::asio::steady_timer timer_;
    // What arrived ahead of what was parsed. One read usually brings a whole small frame, header
    // and payload (AuthBegin, AuthAnswer), so most frames cost one recv instead of two. It may
    // hold a typed code: wiped as it is consumed and at the end.
    std::array<std::uint8_t, 256> inbox_{};
    std::size_t inbox_size_ = 0;
    std::array<std::uint8_t, wire::kHeaderSize> header_{};
    wire::MessageType type_{};
    std::vector<std::uint8_t> payload_;
    std::vector<std::uint8_t> reply_;
    SessionState state_;
};

}  // namespace kotp::otpd
