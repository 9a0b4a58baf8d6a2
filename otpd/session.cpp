#include "session.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstring>

#include "kotp/codec.hpp"
#include "commit_group.hpp"
#include "kotp/wipe.hpp"
#include "log.hpp"
#include "server.hpp"

namespace kotp::otpd {

namespace asio = boost::asio;

Session::Session(Socket socket, Peer peer, RequestHandler& handler, CommitGroup& group,
                 std::shared_ptr<ConnectionLimits> limits,
                 std::chrono::seconds io_timeout, std::chrono::seconds answer_timeout)
    : socket_(std::move(socket)),
      peer_(peer),
      handler_(handler),
      group_(group),
      limits_(std::move(limits)),
      io_timeout_(io_timeout),
      answer_timeout_(answer_timeout),
      timer_(socket_.get_executor()) {}

Session::~Session() {
    wipe(inbox_.data(), inbox_.size());
    wipe(payload_);
    wipe(reply_);
    limits_->release(peer_);
}

void Session::close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
}

void Session::arm_timer(std::chrono::seconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec) return;  // cancelled or re-armed
        self->close();   // aborts the pending read or write; the session then ends
    });
}

std::size_t Session::take(std::uint8_t* out, std::size_t n) noexcept {
    const std::size_t count = std::min(n, inbox_size_);
    if (count == 0) return 0;  // out may be null (an empty payload's vector)
    std::memcpy(out, inbox_.data(), count);
    std::memmove(inbox_.data(), inbox_.data() + count, inbox_size_ - count);
    wipe(inbox_.data() + inbox_size_ - count, count);
    inbox_size_ -= count;
    return count;
}

void Session::read_header() {
    // The whole next frame must arrive within the deadline: io_timeout normally, the user's
    // typing time while a prompt is open. Armed once per frame, not per read, so a client that
    // trickles bytes gains nothing.
    arm_timer(state_.phase == SessionPhase::AwaitAnswer ? answer_timeout_ : io_timeout_);
    fill_header();
}

void Session::fill_header() {
    if (inbox_size_ >= wire::kHeaderSize) return on_header();
    socket_.async_read_some(asio::buffer(inbox_.data() + inbox_size_, inbox_.size() - inbox_size_),
                            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                                if (ec) return self->close();
                                self->inbox_size_ += n;
                                self->fill_header();
                            });
}

void Session::on_header() {
    take(header_.data(), header_.size());
    wire::FrameHeader header;
    auto error = wire::parse_header(header_, wire::kMaxImportPayload, header);
    // Only an admin's import may be that large; the cap is checked before anything is allocated.
    if (error == wire::DecodeError::None && header.payload_length > handler_.max_payload(peer_, header.type))
        error = wire::DecodeError::TooLong;
    if (error != wire::DecodeError::None) {
        log_line(LogLevel::Warning, std::string("KS1011 bad frame from uid=") + std::to_string(peer_.uid) + ": " +
                                        wire::to_string(error));
        return write_reply(error_frame(wire::Status::ProtocolError, wire::to_string(error)), true);
    }
    type_ = header.type;
    wipe(payload_);
    payload_.resize(header.payload_length);  // capped above
    read_payload(take(payload_.data(), payload_.size()));
}

void Session::read_payload(std::size_t have) {
    if (have == payload_.size()) return process();
    asio::async_read(socket_, asio::buffer(payload_.data() + have, payload_.size() - have),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                         if (ec) return self->close();
                         self->process();
                     });
}

void Session::process() {
    timer_.cancel();
    const bool grouped = group_.join();
    auto result = handler_.handle(peer_, state_, type_, payload_);
    wipe(payload_);
    // Not grouped: committed on its own, or failed closed. A prompt that decides nothing: no
    // state of its own to wait for.
    if (!grouped || !result.decides) return finish(std::move(result));
    group_.defer([self = shared_from_this(), result = std::move(result)](bool committed) mutable {
        if (!committed) {
            wipe(result.reply);
            result = self->handler_.internal_failure(self->type_);
        }
        self->finish(std::move(result));
    });
}

void Session::finish(HandlerResult result) {
    if (result.reply.empty()) return close();
    write_reply(std::move(result.reply), result.close);
}

void Session::write_reply(std::vector<std::uint8_t> frame, bool close_after) {
    reply_ = std::move(frame);
    arm_timer(io_timeout_);
    asio::async_write(socket_, asio::buffer(reply_),
                      [self = shared_from_this(), close_after](const boost::system::error_code& ec, std::size_t) {
                          // No shutdown() before the close: on a Unix socket the reply already
                          // sent stays readable by the client after close(), then it reads EOF.
                          if (ec || close_after) return self->close();
                          self->read_header();
                      });
}

}  // namespace kotp::otpd
