#include "load_worker.hpp"

#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "bench_state.hpp"
#include "kotp/messages.hpp"
#include "kotp/otp.hpp"
#include "kotp/status.hpp"

namespace kotp::bench {
namespace {

constexpr std::uint32_t kTotpPeriod = 30;       // what the CSV import gives a TOTP token
constexpr unsigned kBusyUsersPassed = 16;       // TOTP: users passed over before a replay instead
constexpr std::uint64_t kErrorsBeforeAbort = 1000;
constexpr std::int64_t kRetryConnectNs = 1'000'000;     // the listen backlog was full
constexpr std::int64_t kPauseAfterErrorNs = 10'000'000; // so that a dead otpd is not hammered
constexpr std::int64_t kTimerCheckNs = 20'000'000;
const char* const kService = "kotp-load";
const char* const kTty = "ssh";

std::int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t current_step() {
    return static_cast<std::int64_t>(otp::totp_step(static_cast<std::int64_t>(std::time(nullptr)), kTotpPeriod));
}

const char* outcome_name(wire::Outcome outcome) {
    switch (outcome) {
        case wire::Outcome::Prompt: return "prompt";
        case wire::Outcome::Success: return "success";
        case wire::Outcome::Failure: return "failure";
    }
    return "?";
}

std::string reply_text(wire::Outcome outcome, wire::Status status, unsigned attempts_left) {
    return std::string(outcome_name(outcome)) + " " + describe(status).id + " (attempts_left " +
           std::to_string(attempts_left) + ")";
}

bool same_reply(const Expected& e, const wire::AuthStep& step) {
    return e.outcome == step.outcome && e.status == step.status && e.attempts_left == step.attempts_left;
}

}  // namespace

LoadWorker::LoadWorker(const LoadSettings& settings, Control& control, std::span<const std::uint8_t> secrets,
                       std::vector<UserModel>& model, const std::vector<unsigned>& slots)
    : settings_(settings), control_(control), model_(model), codes_(secrets) {
    timeout_ns_ = static_cast<std::int64_t>(settings.timeout_seconds * 1e9);
    if (settings.socket_paths.empty()) throw std::runtime_error("no otpd socket to talk to");
    for (const auto& path : settings.socket_paths) {
        sockaddr_un& address = addresses_.emplace_back();
        address.sun_family = AF_UNIX;
        if (path.size() >= sizeof address.sun_path) throw std::runtime_error("socket path too long");
        std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    }

    slots_.resize(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i) {
        Slot& s = slots_[i];
        s.number = slots[i];
        s.rng = Rng(settings.seed * 0x9e3779b97f4a7c15ULL + s.number + 1);
        for (std::uint32_t u = s.number; u < settings.users; u += settings.clients) s.users.push_back(u);
        for (std::size_t k = s.users.size(); k > 1; --k)  // Fisher-Yates
            std::swap(s.users[k - 1], s.users[s.rng.below(static_cast<std::uint32_t>(k))]);
        s.rhost = "192.0.2." + std::to_string(s.number % 254 + 1);
    }
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
}

LoadWorker::~LoadWorker() {
    for (auto& s : slots_) close_slot(s);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool LoadWorker::next_user(Slot& s, std::uint32_t& user) {
    for (std::size_t tried = 0; tried < s.users.size(); ++tried) {
        user = s.users[s.next];
        s.next = (s.next + 1) % s.users.size();
        if (!model_[user].retired) return true;
    }
    return false;
}

// Whether the code `m` was last accepted with is still refused as a replay (not skew, not
// wrong) whatever step otpd's clock is in during the exchange (this step or the next).
bool LoadWorker::replayable(const UserModel& m, std::int64_t step) const {
    if (m.retired) return false;
    if (settings_.token == TokenChoice::Hotp) return m.position >= 1;
    return m.position >= 0 && m.position >= step + 1 - static_cast<std::int64_t>(settings_.rules.window);
}

void LoadWorker::set_code(Slot& s, const UserModel& m) {
    const auto& rules = settings_.rules;
    if (settings_.token == TokenChoice::Hotp) {
        const std::int64_t next = m.position;
        s.window.reset(codes_, s.user, next);
        switch (s.kind) {
            case Kind::Right: s.code = s.window.at(next); break;
            case Kind::Wrong:
                s.code = wrong_code(s.rng, s.window, next - rules.hotp_replay_depth,
                                    next + static_cast<std::int64_t>(rules.hotp_look_ahead));
                break;
            case Kind::Replay: s.code = s.window.at(next - 1); break;
        }
    } else {
        s.window.reset(codes_, s.user, s.step);
        switch (s.kind) {
            case Kind::Right: s.code = s.window.at(s.step); break;
            // Clear of every step otpd compares, skew range included, in this step and the next.
            case Kind::Wrong:
                s.code = wrong_code(s.rng, s.window, s.step - rules.skew_steps, s.step + 1 + rules.skew_steps);
                break;
            case Kind::Replay: s.code = s.window.at(m.position); break;
        }
    }
}

bool LoadWorker::choose(Slot& s) {
    const auto& mix = settings_.mix;
    const unsigned draw = s.rng.below(100);
    Kind kind = draw < mix.right ? Kind::Right : draw < mix.right + mix.wrong ? Kind::Wrong : Kind::Replay;
    const bool totp = settings_.token == TokenChoice::Totp;
    s.step = totp ? current_step() : 0;

    if (kind == Kind::Replay) {
        if (s.last_accepted >= 0 && replayable(model_[static_cast<std::size_t>(s.last_accepted)], s.step)) {
            s.user = static_cast<std::uint32_t>(s.last_accepted);
            s.kind = Kind::Replay;
            set_code(s, model_[s.user]);
            return true;
        }
        kind = Kind::Right;
        ++stats_.replay_sent_right;
    }
    std::uint32_t user = 0;
    if (!next_user(s, user)) return false;
    const unsigned most_failures = std::min(3u, settings_.rules.lockout_threshold - 2);
    if (kind == Kind::Wrong && model_[user].failures >= most_failures) {
        kind = Kind::Right;
        ++stats_.wrong_sent_right;
    }
    if (kind == Kind::Right && totp) {
        for (unsigned passed = 0; model_[user].position >= s.step; ++passed) {
            if (passed == kBusyUsersPassed) {
                kind = Kind::Replay;  // accepted in this step: its code is a replay
                ++stats_.right_sent_replay;
                break;
            }
            ++stats_.users_skipped;
            if (!next_user(s, user)) return false;
        }
    }
    s.user = user;
    s.kind = kind;
    set_code(s, model_[user]);
    return true;
}

void LoadWorker::start_next(Slot& s, std::int64_t now) {
    if (control_.phase.load(std::memory_order_acquire) >= Phase::Drain || !choose(s)) {
        s.stage = Stage::Done;
        return;
    }
    const wire::AuthBegin begin{user_name(s.user), kService, s.rhost, kTty};
    s.out = wire::encode_frame(begin);
    s.started_ns = now_ns();
    s.deadline_ns = s.started_ns + timeout_ns_;
    connect_slot(s, now);
}

void LoadWorker::connect_slot(Slot& s, std::int64_t now) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(s, std::string("socket: ") + std::strerror(errno));
    const std::size_t node = s.number % addresses_.size();
    const sockaddr_un& address = addresses_[node];
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EAGAIN) {  // otpd's listen backlog is full: try again shortly
            s.stage = Stage::RetryConnect;
            s.wake_ns = now + kRetryConnectNs;
            return;
        }
        return fail(s, "cannot connect to " + settings_.socket_paths[node] + ": " + std::strerror(err));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(&s - slots_.data());
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        ::close(fd);
        return fail(s, std::string("epoll_ctl: ") + std::strerror(errno));
    }
    s.fd = fd;
    s.stage = Stage::AwaitPrompt;
    s.out_done = 0;
    s.watching_out = false;
    s.in.clear();
    send_pending(s);
}

void LoadWorker::send_pending(Slot& s) {
    while (s.out_done < s.out.size()) {
        const ssize_t n = ::send(s.fd, s.out.data() + s.out_done, s.out.size() - s.out_done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                if (!s.watching_out) {
                    epoll_event ev{};
                    ev.events = EPOLLIN | EPOLLOUT;
                    ev.data.u32 = static_cast<std::uint32_t>(&s - slots_.data());
                    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, s.fd, &ev);
                    s.watching_out = true;
                }
                return;
            }
            return fail(s, std::string("send: ") + std::strerror(errno));
        }
        s.out_done += static_cast<std::size_t>(n);
    }
    if (s.watching_out) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<std::uint32_t>(&s - slots_.data());
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, s.fd, &ev);
        s.watching_out = false;
    }
}

void LoadWorker::on_readable(Slot& s) {
    std::array<std::uint8_t, 4096> buffer{};
    const ssize_t n = ::read(s.fd, buffer.data(), buffer.size());
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        return fail(s, std::string("read: ") + std::strerror(errno));
    }
    if (n == 0)
        return fail(s, s.stage == Stage::AwaitPrompt ? "otpd closed the connection before the prompt"
                                                     : "otpd closed the connection before the final reply");
    s.in.insert(s.in.end(), buffer.begin(), buffer.begin() + n);
    // One reply is expected at a time; a second one before the answer is an error in on_frame.
    if (s.in.size() < wire::kHeaderSize) return;
    wire::FrameHeader header;
    const auto error = wire::parse_header(std::span<const std::uint8_t, wire::kHeaderSize>(s.in.data(), wire::kHeaderSize),
                                          wire::kMaxReplyPayload, header);
    if (error != wire::DecodeError::None)
        return fail(s, std::string("malformed reply header: ") + wire::to_string(error));
    const std::size_t size = wire::kHeaderSize + header.payload_length;
    if (s.in.size() < size) return;
    if (s.in.size() > size) return fail(s, "otpd sent more than one reply at once");
    on_frame(s, header.type, std::span<const std::uint8_t>(s.in).subspan(wire::kHeaderSize));
}

void LoadWorker::on_frame(Slot& s, wire::MessageType type, std::span<const std::uint8_t> payload) {
    if (type == wire::MessageType::Error) {
        wire::ErrorReply reply;
        if (wire::decode_payload(payload, reply) != wire::DecodeError::None)
            return fail(s, "undecodable Error reply");
        return fail(s, std::string("otpd answered with an Error reply ") + describe(reply.status).id);
    }
    if (type != wire::MessageType::AuthStep)
        return fail(s, std::string("unexpected reply type ") + wire::to_string(type));
    wire::AuthStep step;
    if (const auto e = wire::decode_payload(payload, step); e != wire::DecodeError::None)
        return fail(s, std::string("undecodable AuthStep: ") + wire::to_string(e));
    if (s.stage == Stage::AwaitPrompt)
        on_prompt(s, step);
    else
        on_final(s, step);
}

void LoadWorker::on_prompt(Slot& s, const wire::AuthStep& step) {
    // Always a prompt: choose() never lets a user reach the suspension threshold, so a refusal
    // here (KS1005, or KS1015 from a host limit) is a mismatch.
    const Expected e = expected_begin(model_[s.user], settings_.rules);
    if (!same_reply(e, step))
        return mismatch(s, "AuthBegin: expected " + reply_text(e.outcome, e.status, e.attempts_left) + ", got " +
                               reply_text(step.outcome, step.status, step.attempts_left));
    if (step.echo || step.code_digits != kCodeDigits)
        return mismatch(s, "AuthBegin: expected a prompt for a 6-digit code with echo off, got code_digits " +
                               std::to_string(step.code_digits) + (step.echo ? " with echo on" : ""));
    wire::AuthAnswer answer;
    answer.response = code_text(s.code);
    s.out = wire::encode_frame(answer);
    s.out_done = 0;
    s.in.clear();
    s.stage = Stage::AwaitFinal;
    send_pending(s);
}

void LoadWorker::on_final(Slot& s, const wire::AuthStep& step) {
    const std::int64_t done_ns = now_ns();
    UserModel& m = model_[s.user];
    // TOTP: otpd read its clock somewhere between the choice of the code and this reply.
    std::array<Expected, 3> candidates;
    std::size_t count = 0;
    if (settings_.token == TokenChoice::Hotp) {
        candidates[count++] = expected_hotp(m, s.code, s.window, settings_.rules);
    } else {
        const std::int64_t last = std::min(current_step(), s.step + 2);
        for (std::int64_t r = s.step; r <= last; ++r)
            candidates[count++] = expected_totp(m, s.code, r, s.window, settings_.rules);
    }
    const Expected* match = nullptr;
    for (std::size_t i = 0; i < count && match == nullptr; ++i)
        if (same_reply(candidates[i], step)) match = &candidates[i];

    ++stats_.completed;
    if (count_in_measurement()) {
        ++stats_.measured;
        ++stats_.measured_by_kind[static_cast<std::size_t>(s.kind)];
        if (step.outcome == wire::Outcome::Success && step.status == wire::Status::Ok)
            ++stats_.accepted;
        else if (step.status == wire::Status::WrongCode)
            ++stats_.refused_wrong;
        else if (step.status == wire::Status::CodeAlreadyUsed)
            ++stats_.refused_replay;
        else
            ++stats_.refused_other;
        stats_.latency.record(static_cast<std::uint64_t>(done_ns - s.started_ns));
    }
    if (match == nullptr) {
        const auto& e = candidates[0];
        return mismatch(s, "AuthAnswer: expected " + reply_text(e.outcome, e.status, e.attempts_left) + ", got " +
                               reply_text(step.outcome, step.status, step.attempts_left));
    }
    m = match->after;
    if (match->outcome == wire::Outcome::Success) s.last_accepted = s.user;
    close_slot(s);
    s.stage = Stage::Idle;
    start_next(s, done_ns);
}

bool LoadWorker::count_in_measurement() {
    if (control_.phase.load(std::memory_order_acquire) != Phase::Measure) return false;
    if (control_.target == 0) return true;
    const std::uint64_t n = control_.measured.fetch_add(1) + 1;
    if (n > control_.target) return false;
    if (n == control_.target) control_.end_measurement();
    return true;
}

void LoadWorker::close_slot(Slot& s) {
    if (s.fd >= 0) ::close(s.fd);  // also leaves the epoll set
    s.fd = -1;
    s.watching_out = false;
}

std::string LoadWorker::describe_visit(const Slot& s) const {
    const UserModel& m = model_[s.user];
    const std::string state = settings_.token == TokenChoice::Hotp
                                  ? "model: next counter " + std::to_string(m.position)
                                  : "model: last step " + std::to_string(m.position) + ", step now " +
                                        std::to_string(s.step);
    return "user " + user_name(s.user) + ", " + kind_name(s.kind) + " code (" + state + ", " +
           std::to_string(m.failures) + " failures)";
}

// The slot's user leaves the run (its state is no longer known) and the connection closes.
void LoadWorker::retire_user(Slot& s) {
    model_[s.user].retired = true;
    if (s.last_accepted == static_cast<std::int64_t>(s.user)) s.last_accepted = -1;
    close_slot(s);
}

void LoadWorker::mismatch(Slot& s, const std::string& what) {
    ++stats_.mismatches;
    if (stats_.mismatch_examples.size() < LoadStats::kExamples)
        stats_.mismatch_examples.push_back(describe_visit(s) + ": " + what);
    retire_user(s);
    s.stage = Stage::Idle;
    start_next(s, now_ns());
}

void LoadWorker::fail(Slot& s, const std::string& what) {
    ++stats_.errors;
    if (stats_.error_examples.size() < LoadStats::kExamples)
        stats_.error_examples.push_back(describe_visit(s) + ": " + what);
    // Whether otpd recorded the answer is unknown: the user's state no longer is.
    retire_user(s);
    s.stage = Stage::Pause;
    s.wake_ns = now_ns() + kPauseAfterErrorNs;
    if (control_.errors.fetch_add(1) + 1 == kErrorsBeforeAbort)
        control_.abort(std::to_string(kErrorsBeforeAbort) + " exchanges failed; the last: " + what);
}

void LoadWorker::check_timers(std::int64_t now) {
    for (auto& s : slots_) {
        switch (s.stage) {
            case Stage::AwaitPrompt:
            case Stage::AwaitFinal:
                if (now > s.deadline_ns)
                    fail(s, std::string("no ") + (s.stage == Stage::AwaitPrompt ? "prompt" : "final reply") +
                                " within " + std::to_string(settings_.timeout_seconds) + " s");
                break;
            case Stage::RetryConnect:
                if (now > s.deadline_ns)
                    fail(s, "otpd's listen backlog stayed full for " + std::to_string(settings_.timeout_seconds) + " s");
                else if (now >= s.wake_ns)
                    connect_slot(s, now);
                break;
            case Stage::Pause:
                if (now >= s.wake_ns) {
                    s.stage = Stage::Idle;
                    start_next(s, now);
                }
                break;
            case Stage::Idle:
            case Stage::Done: break;
        }
    }
}

void LoadWorker::run() {
    std::int64_t now = now_ns();
    for (auto& s : slots_) start_next(s, now);
    std::array<epoll_event, 256> events{};
    std::int64_t next_check = now + kTimerCheckNs;
    for (;;) {
        const Phase phase = control_.phase.load(std::memory_order_acquire);
        if (phase == Phase::Abort) break;
        bool waiting = false;  // a slot waits for a short timer rather than a reply
        bool all_done = true;
        for (const auto& s : slots_) {
            waiting = waiting || s.stage == Stage::RetryConnect || s.stage == Stage::Pause;
            all_done = all_done && s.stage == Stage::Done;
        }
        if (all_done) break;
        const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), waiting ? 1 : 20);
        if (n < 0 && errno != EINTR) {
            control_.abort(std::string("epoll_wait: ") + std::strerror(errno));
            break;
        }
        for (int i = 0; i < n; ++i) {
            Slot& s = slots_[events[static_cast<std::size_t>(i)].data.u32];
            const auto what = events[static_cast<std::size_t>(i)].events;
            if (s.fd >= 0 && (what & EPOLLOUT) != 0) send_pending(s);
            if (s.fd >= 0 && (what & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) on_readable(s);
        }
        now = now_ns();
        if (waiting || now >= next_check) {
            check_timers(now);
            next_check = now + kTimerCheckNs;
        }
    }
    for (auto& s : slots_) close_slot(s);
}

}  // namespace kotp::bench
