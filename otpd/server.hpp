// The Asio side of otpd: one io_context on one thread, an acceptor on the Unix socket, and a
// session per connection. Handlers run to completion on that thread, so requests never interleave
// inside the store, and each reply is written only after its handler (and commit) returned.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>

#include "config.hpp"
#include "peer.hpp"
#include "request_handler.hpp"

namespace kotp::otpd {

class CommitGroup;

// Open connections per uid, so one unprivileged user cannot hold every slot. Never applied to
// privileged callers: their concurrency is the login storm itself.
class ConnectionLimits {
public:
    ConnectionLimits(unsigned per_uid, const Authorizer& authorizer)
        : per_uid_(per_uid), authorizer_(authorizer) {}
    bool try_acquire(const Peer& peer);
    void release(const Peer& peer);
    std::size_t open_connections() const { return total_; }

private:
    unsigned per_uid_;
    const Authorizer& authorizer_;
    std::map<uid_t, unsigned> open_;
    std::size_t total_ = 0;
};

class Server {
public:
    using Protocol = boost::asio::local::stream_protocol;

    // Takes ownership of a listening socket fd (bound by bind_listener or from systemd).
    Server(boost::asio::io_context& io, int listen_fd, RequestHandler& handler, CommitGroup& group,
           const Config& config, const Authorizer& authorizer);

    void start();
    void stop();

private:
    void accept_next();
    void drain_backlog();
    void admit(Protocol::socket socket);

    static constexpr int kAcceptBurst = 64;  // connections taken from the backlog per turn

    boost::asio::io_context& io_;
    Protocol::acceptor acceptor_;
    boost::asio::steady_timer accept_retry_;
    RequestHandler& handler_;
    CommitGroup& group_;
    const Config& config_;
    std::shared_ptr<ConnectionLimits> limits_;  // shared with the sessions
    bool stopping_ = false;
};

}  // namespace kotp::otpd
