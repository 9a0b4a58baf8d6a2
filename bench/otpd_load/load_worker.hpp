// One client thread: its share of the C client slots, each a state machine on a non-blocking
// Unix socket, all driven by one epoll loop.
//
// One verification is one login exchange as pam_kotp.so makes it: connect, AuthBegin (user,
// service "kotp-load", rhost, tty), the Prompt reply, AuthAnswer with the code, the final
// AuthStep; otpd then closes the connection. With several otpd nodes (--nodes), client slot c
// always talks to node c % nodes. The latency is from connect to the final reply.
// (pam_kotp.so also checks the socket's owner and the peer's credentials: client-side work
// that otpd does not see, left out here.)
//
// Correctness model: user i is only ever driven by client slot i % C, so one user's attempts
// are never concurrent, and the model of its token (token_model.hpp) is exact. Each slot walks
// its users in a random order (so a large user base is touched all over, cache misses included)
// and draws right, wrong or replay by the mix for every visit:
//   right   the code the model says otpd accepts now;
//   wrong   a random code that is the code of no counter (step) otpd looks at, so it is refused
//           as KS1003 and counted; sent as right instead when the user has 3 failures, so that
//           no user ever reaches the suspension threshold (5);
//   replay  the code this slot's most recently accepted user was accepted with, sent again
//           (KS1004, not counted); sent as right to the next user when the slot has no such
//           user yet (or, TOTP, when its step has left the window).
// TOTP: a user already accepted in the current step is passed over for the next one (a real
// user waits for the next code); when 16 in a row are, the visit replays instead.
// Every reply is compared with the prediction; a different reply is a mismatch, no reply an
// error, and the user concerned is retired (its state in otpd is no longer known).
#pragma once

#include <sys/epoll.h>
#include <sys/un.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kotp/messages.hpp"
#include "load_control.hpp"
#include "load_stats.hpp"
#include "options.hpp"
#include "token_model.hpp"

namespace kotp::bench {

struct LoadSettings {
    std::vector<std::string> socket_paths;  // one per otpd node: client slot c uses c % nodes
    std::uint32_t users = 0;
    unsigned clients = 0;
    unsigned threads = 1;
    TokenChoice token = TokenChoice::Hotp;
    Mix mix;
    OtpdRules rules;
    double timeout_seconds = 10;
    std::uint64_t seed = 1;
};

class LoadWorker {
public:
    // `slots`: the client slot numbers this thread drives. `model` is shared by all threads, but
    // each touches only the users of its own slots.
    LoadWorker(const LoadSettings& settings, Control& control, std::span<const std::uint8_t> secrets,
               std::vector<UserModel>& model, const std::vector<unsigned>& slots);
    ~LoadWorker();
    LoadWorker(const LoadWorker&) = delete;
    LoadWorker& operator=(const LoadWorker&) = delete;

    void run();  // the thread's body; returns when drained or aborted
    const LoadStats& stats() const { return stats_; }

private:
    enum class Stage : std::uint8_t { Idle, RetryConnect, Pause, AwaitPrompt, AwaitFinal, Done };

    struct Slot {
        unsigned number = 0;               // the client slot, 0..C-1
        std::vector<std::uint32_t> users;  // users i with i % C == number, in a random order
        std::size_t next = 0;
        Rng rng{1};
        std::int64_t last_accepted = -1;  // the user this slot last saw accepted
        std::string rhost;

        Stage stage = Stage::Idle;
        int fd = -1;
        std::uint32_t user = 0;
        Kind kind = Kind::Right;
        std::uint32_t code = 0;
        std::int64_t step = 0;           // TOTP: the time step when the code was chosen
        std::int64_t started_ns = 0;     // connect
        std::int64_t deadline_ns = 0;
        std::int64_t wake_ns = 0;        // RetryConnect, Pause
        std::vector<std::uint8_t> out;
        std::size_t out_done = 0;
        bool watching_out = false;
        std::vector<std::uint8_t> in;
        CodeWindow window;
    };

    void start_next(Slot& s, std::int64_t now);
    bool choose(Slot& s);
    bool next_user(Slot& s, std::uint32_t& user);
    bool replayable(const UserModel& m, std::int64_t step) const;
    void set_code(Slot& s, const UserModel& m);
    void connect_slot(Slot& s, std::int64_t now);
    void send_pending(Slot& s);
    void on_readable(Slot& s);
    void on_frame(Slot& s, wire::MessageType type, std::span<const std::uint8_t> payload);
    void on_prompt(Slot& s, const wire::AuthStep& step);
    void on_final(Slot& s, const wire::AuthStep& step);
    void close_slot(Slot& s);
    void retire_user(Slot& s);
    void fail(Slot& s, const std::string& what);
    void mismatch(Slot& s, const std::string& what);
    void check_timers(std::int64_t now);
    bool count_in_measurement();
    std::string describe_visit(const Slot& s) const;

    const LoadSettings& settings_;
    Control& control_;
    std::vector<UserModel>& model_;
    UserCodes codes_;
    std::vector<Slot> slots_;
    LoadStats stats_;
    int epoll_fd_ = -1;
    std::vector<sockaddr_un> addresses_;  // settings_.socket_paths
    std::int64_t timeout_ns_ = 0;
};

}  // namespace kotp::bench
