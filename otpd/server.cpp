#include "server.hpp"

#include <sys/socket.h>

#include "log.hpp"
#include "session.hpp"

namespace kotp::otpd {

namespace asio = boost::asio;

bool ConnectionLimits::try_acquire(const Peer& peer) {
    auto& count = open_[peer.uid];
    if (!authorizer_.is_privileged(peer) && count >= per_uid_) {
        if (count == 0) open_.erase(peer.uid);
        return false;
    }
    ++count;
    ++total_;
    return true;
}

void ConnectionLimits::release(const Peer& peer) {
    const auto it = open_.find(peer.uid);
    if (it == open_.end()) return;
    --total_;
    if (--it->second == 0) open_.erase(it);
}

Server::Server(asio::io_context& io, int listen_fd, RequestHandler& handler, CommitGroup& group,
               const Config& config, const Authorizer& authorizer)
    : io_(io),
      acceptor_(io, Protocol(), listen_fd),
      accept_retry_(io),
      handler_(handler),
      group_(group),
      config_(config),
      limits_(std::make_shared<ConnectionLimits>(config.max_connections_per_uid, authorizer)) {}

void Server::start() {
    acceptor_.non_blocking(true);
    accept_next();
}

void Server::stop() {
    stopping_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
}

void Server::accept_next() {
    if (stopping_) return;
    acceptor_.async_accept([this](const boost::system::error_code& ec, Protocol::socket socket) {
        if (stopping_) return;
        if (ec) {
            // EMFILE and friends: back off instead of spinning; the pending connection waits.
            log_line(LogLevel::Warning, "accept failed: " + ec.message());
            accept_retry_.expires_after(std::chrono::milliseconds(100));
            accept_retry_.async_wait([this](const boost::system::error_code& e) {
                if (!e) accept_next();
            });
            return;
        }
        admit(std::move(socket));
        drain_backlog();
        accept_next();
    });
}

// A storm of logins queues connections in the listen backlog faster than one accept per turn
// of the io_context takes them: take what is waiting now, so that their requests share the
// next group commit instead of one commit each.
void Server::drain_backlog() {
    for (int i = 0; i < kAcceptBurst && !stopping_; ++i) {
        boost::system::error_code ec;
        Protocol::socket socket(io_);
        acceptor_.accept(socket, ec);  // the acceptor is non-blocking: never waits
        if (ec) return;  // would block, or an error that the next async_accept reports
        admit(std::move(socket));
    }
}

void Server::admit(Protocol::socket socket) {
    const auto peer = peer_of(socket.native_handle());
    if (!peer) {
        log_line(LogLevel::Warning, "connection without peer credentials dropped");
    } else if (!limits_->try_acquire(*peer)) {
        log_line(LogLevel::Warning, "KS1012 connection refused: uid=" + std::to_string(peer->uid) +
                                        " already has " + std::to_string(config_.max_connections_per_uid) +
                                        " open connections");
        // Best effort: the frame is small enough for the socket buffer, never blocks.
        const auto frame = error_frame(wire::Status::Busy);
        [[maybe_unused]] auto n = ::send(socket.native_handle(), frame.data(), frame.size(),
                                         MSG_NOSIGNAL | MSG_DONTWAIT);
    } else {
        std::make_shared<Session>(std::move(socket), *peer, handler_, group_, limits_, config_.io_timeout,
                                  config_.answer_timeout)
            ->start();
    }
}

}  // namespace kotp::otpd
