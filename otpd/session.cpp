#include "session.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

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

void Session::read_header() {
    // The whole next frame must arrive within the deadline: io_timeout normally, the user's
    // typing time while a prompt is open.
    arm_timer(state_.phase == SessionPhase::AwaitAnswer ? answer_timeout_ : io_timeout_);
    asio::async_read(socket_, asio::buffer(header_),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                         if (ec) return self->close();
                         wire::FrameHeader header;
                         auto error = wire::parse_header(self->header_, wire::kMaxImportPayload, header);
                         // Only an admin's import may be that large; the cap is checked before
                         // anything is allocated.
                         if (error == wire::DecodeError::None &&
                             header.payload_length > self->handler_.max_payload(self->peer_, header.type))
                             error = wire::DecodeError::TooLong;
                         if (error != wire::DecodeError::None) {
                             log_line(LogLevel::Warning, std::string("KS1011 bad frame from uid=") +
                                                             std::to_string(self->peer_.uid) + ": " +
                                                             wire::to_string(error));
                             return self->write_reply(
                                 error_frame(wire::Status::ProtocolError, wire::to_string(error)), true);
                         }
                         self->type_ = header.type;
                         wipe(self->payload_);
                         self->payload_.resize(header.payload_length);  // capped above
                         self->read_payload();
                     });
}

void Session::read_payload() {
    asio::async_read(socket_, asio::buffer(payload_),
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
    if (!grouped) return finish(std::move(result));  // committed on its own, or failed closed
    if (!result.decides) return finish(std::move(result));  // a prompt: nothing to wait for
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
