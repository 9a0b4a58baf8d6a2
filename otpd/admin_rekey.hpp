// kotp-admin rekey: a new master key, and every sealed secret re-sealed under it while otpd keeps
// serving logins.
//
// Start writes the key file with a new key (the next id) before anything is sealed with it, then
// makes it otpd's current key: from then on every new secret uses it. The existing secrets are
// re-sealed in batches of kRekeyBatch rows, one transaction each; each batch is posted to the
// io_context behind whatever requests are queued, so a login waits for at most one batch. When no
// secret uses an older key any more, those key lines are dropped from the file (unless the admin
// keeps them). The client polls with Status until the run is over.
//
// Crash safety: every row is under a key the file holds at every moment (the new key is in the
// file before it seals anything; an old key leaves the file only once no row uses it), so a
// crash anywhere leaves every secret openable, and a new rekey re-seals whatever is left.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "admin_service.hpp"
#include "environment.hpp"
#include "kotp/messages.hpp"
#include "master_key.hpp"
#include "peer.hpp"
#include "secret_box.hpp"
#include "store.hpp"

namespace kotp::otpd {

inline constexpr unsigned kRekeyBatch = 256;  // rows per transaction, between two turns of logins

class RekeyService {
public:
    // Runs a function later on the thread that serves the requests (boost::asio::post in otpd,
    // a queue the test drains in the unit tests).
    using Post = std::function<void(std::function<void()>)>;

    RekeyService(Store& store, MasterKeys& keys, const SecretBox& box, RandomSource& random, const Clock& clock,
                 std::string key_path, Post post)
        : store_(store),
          keys_(keys),
          box_(box),
          random_(random),
          clock_(clock),
          key_path_(std::move(key_path)),
          post_(std::move(post)) {}

    ReplyFrame handle(const Peer& peer, const wire::AdminRekey& request);

private:
    ReplyFrame start(const Peer& peer, bool keep_old_keys);
    void run_batch();
    void finish();
    void fail(const std::string& why);
    // The audit row (in its own transaction) and the log line of a run's start or end.
    void record(const std::string& what);

    Store& store_;
    MasterKeys& keys_;
    const SecretBox& box_;
    RandomSource& random_;
    const Clock& clock_;
    std::string key_path_;
    Post post_;

    wire::RekeyStatus status_;  // the running or the last run
    bool keep_old_keys_ = false;
    std::int64_t after_token_id_ = 0;  // the batches walk the tokens by id
};

}  // namespace kotp::otpd
