#include "user_exchange.hpp"

#include <pwd.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kotp/client.hpp"
#include "kotp/messages.hpp"
#include "kotp/status.hpp"
#include "kotp/terminal_text.hpp"
#include "kotp/wipe.hpp"
#include "report.hpp"

namespace kotp::admin {
namespace {

// As the PAM module: an exchange is a handful of steps (activation or current code, first
// code); an otpd that keeps asking past this is broken, and kotp stops rather than loop.
constexpr int kMaxSteps = 16;
constexpr const char* kDefaultPrompt = "Verification code: ";

// A user who takes this long at a prompt may have outlasted otpd's answer_timeout.
constexpr auto kSlowAnswer = std::chrono::seconds(60);

std::string own_user_name() {
    std::vector<char> buf(16384);
    struct passwd pw {};
    struct passwd* found = nullptr;
    if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr)
        return {};
    return found->pw_name;
}

// The terminal settings to put back if a signal arrives while echo is off.
struct termios g_saved_termios {};
volatile sig_atomic_t g_echo_off_fd = -1;

extern "C" void restore_echo_and_reraise(int signal_number) {
    if (g_echo_off_fd >= 0) ::tcsetattr(g_echo_off_fd, TCSANOW, &g_saved_termios);
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
}

// Turns echo off on `fd` for its lifetime; Ctrl-C, a hang-up or a kill puts it back.
class EchoOff {
  public:
    explicit EchoOff(int fd) {
        if (::tcgetattr(fd, &g_saved_termios) != 0) return;
        struct sigaction action {};
        action.sa_handler = restore_echo_and_reraise;
        sigemptyset(&action.sa_mask);
        for (std::size_t i = 0; i < kSignals.size(); ++i)
            ::sigaction(kSignals[i], &action, &previous_[i]);
        struct termios quiet = g_saved_termios;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        g_echo_off_fd = fd;
        if (::tcsetattr(fd, TCSAFLUSH, &quiet) != 0) g_echo_off_fd = -1;
        fd_ = fd;
    }
    ~EchoOff() {
        if (fd_ < 0) return;
        if (g_echo_off_fd >= 0) ::tcsetattr(fd_, TCSAFLUSH, &g_saved_termios);
        g_echo_off_fd = -1;
        for (std::size_t i = 0; i < kSignals.size(); ++i)
            ::sigaction(kSignals[i], &previous_[i], nullptr);
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

  private:
    static constexpr std::array<int, 4> kSignals{SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    std::array<struct sigaction, 4> previous_{};
    int fd_ = -1;
};

bool is_terminal(int fd) {
    return fd >= 0 && ::isatty(fd) == 1;
}

// Reads one line (without its "\n" or "\r\n") into `line`; false at the end of input. Echo is
// off at a terminal unless otpd asked for it; what the user typed is not echoed then, nor at all
// when the input is not a terminal, so a newline is printed to end the prompt's line.
bool read_answer(const Context& ctx, bool echo, std::string& line) {
    const bool terminal = is_terminal(ctx.in_fd);
    line.reserve(wire::kMaxResponse + 1);  // a code never makes the string move (and leave copies)
    bool ok = false;
    {
        std::optional<EchoOff> quiet;
        if (terminal && !echo) quiet.emplace(ctx.in_fd);
        ok = static_cast<bool>(std::getline(*ctx.in, line));
    }
    if (!(terminal && echo)) *ctx.out << '\n' << std::flush;
    if (ok && !line.empty() && line.back() == '\r') line.pop_back();
    return ok;
}

void show_text(std::ostream& out, std::string_view text) {
    if (text.empty()) return;
    const std::string safe = terminal_safe(text);
    out << safe;
    if (safe.empty() || safe.back() != '\n') out << '\n';
}

class UserExchange {
  public:
    UserExchange(const Context& ctx, wire::Intent intent) : ctx_(ctx), intent_(intent) {}

    int run() {
        wire::AuthBegin begin;
        begin.user = own_user_name();
        if (begin.user.empty())
            return fail(ctx_, kExitRefused, describe(wire::Status::UnknownUser).id,
                        "your uid " + std::to_string(::getuid()) + " has no user name");
        begin.service = "kotp";
        begin.rhost = "";
        const char* tty = ctx_.in_fd >= 0 ? ::ttyname(ctx_.in_fd) : nullptr;
        if (tty != nullptr && std::string_view(tty).size() <= wire::kMaxTty) begin.tty = tty;
        begin.intent = intent_;
        const auto begin_frame = wire::encode_frame(begin);
        if (begin_frame.empty())
            return fail(ctx_, kExitRefused, describe(wire::Status::InvalidArgument).id,
                        "your user name does not fit the protocol");

        if (const auto e =
                connection_.connect(ctx_.socket_path, ctx_.timeout, TrustedOwner::RootOtpdOrSelf);
            e != ClientError::None)
            return fail_transport(ctx_, e);
        if (const auto e = connection_.send(begin_frame, ctx_.timeout); e != ClientError::None)
            return fail_transport(ctx_, e);

        for (int step = 0; step < kMaxSteps; ++step) {
            Frame reply;
            if (const auto e = connection_.receive(reply, ctx_.timeout); e != ClientError::None)
                return lost_otpd(e);
            const int status = handle(reply);
            wipe(reply.payload);  // a Success text holds recovery codes, a Prompt a secret
            if (status != kContinue) return status;
        }
        return fail_protocol(ctx_,
                             "otpd asked more than " + std::to_string(kMaxSteps) + " questions");
    }

  private:
    // Not an exit status: handle() returns it when the exchange goes on.
    static constexpr int kContinue = -1;

    int handle(const Frame& reply) {
        if (reply.type == wire::MessageType::Error) {
            wire::ErrorReply refusal;
            if (const auto d = wire::decode_payload(reply.payload, refusal);
                d != wire::DecodeError::None)
                return fail_protocol(ctx_, std::string("malformed Error reply: ") + to_string(d));
            return fail_refused(ctx_, refusal);
        }
        if (reply.type != wire::MessageType::AuthStep)
            return fail_protocol(ctx_, std::string("expected AuthStep, got ") +
                                           wire::to_string(reply.type) + " (type " +
                                           std::to_string(static_cast<unsigned>(reply.type)) + ")");
        wire::AuthStep step;
        if (const auto d = wire::decode_payload(reply.payload, step); d != wire::DecodeError::None)
            return fail_protocol(ctx_, std::string("malformed AuthStep reply: ") + to_string(d));
        int status = kContinue;
        switch (step.outcome) {
            case wire::Outcome::Prompt:
                status = prompt_and_answer(step);
                break;
            case wire::Outcome::Success:
                show_text(*ctx_.out, step.text);
                *ctx_.out << std::flush;
                status = kExitOk;
                break;
            case wire::Outcome::Failure:
                status = refused(step);
                break;
        }
        wipe(step.text);
        wipe(step.prompt);
        return status;
    }

    int prompt_and_answer(const wire::AuthStep& step) {
        // The text before a prompt is part of the question: the QR code, the key string.
        show_text(*ctx_.out, step.text);
        *ctx_.out << (step.prompt.empty() ? std::string(kDefaultPrompt)
                                          : terminal_safe(step.prompt))
                  << std::flush;

        wire::AuthAnswer answer;  // wipes the response when it goes out of scope
        const auto asked = std::chrono::steady_clock::now();
        const bool got = read_answer(ctx_, step.echo, answer.response);
        slow_answer_ = std::chrono::steady_clock::now() - asked > kSlowAnswer;
        // Before the first answer otpd has changed nothing; after it (an activation code is
        // used up once accepted) the exchange just stops where it is.
        const std::string outcome = answers_sent_ == 0 ? "; nothing was changed" : "; stopped";
        if (!got)
            return fail(ctx_, kExitRefused, describe(wire::Status::ConversationFailed).id,
                        "no answer (end of input)" + outcome);
        if (answer.response.size() > wire::kMaxResponse)
            return fail(ctx_, kExitRefused, describe(wire::Status::BadCodeFormat).id,
                        "the answer is longer than " + std::to_string(wire::kMaxResponse) +
                            " bytes and was not sent" + outcome);
        auto frame = wire::encode_frame(answer);
        if (frame.empty())
            return fail(ctx_, kExitRefused, describe(wire::Status::BadCodeFormat).id,
                        "the answer cannot be sent (it holds a NUL byte)" + outcome);
        const auto e = connection_.send(frame, ctx_.timeout);
        wipe(frame);
        if (e != ClientError::None) return lost_otpd(e);
        ++answers_sent_;
        return kContinue;
    }

    // otpd refused: its own text (which names the status ID), or the status table's line.
    int refused(const wire::AuthStep& step) {
        if (step.status == wire::Status::Ok) return fail_protocol(ctx_, "a refusal with status Ok");
        const StatusText text = describe(step.status);
        const std::string message =
            step.text.empty() ? std::string(text.id) + ": " + text.cause + " " + text.remedy
                              : terminal_safe(step.text);
        show_text(*ctx_.err, message);
        *ctx_.err << std::flush;
        return exit_status_for(step.status);
    }

    int lost_otpd(ClientError e) {
        const int status = fail_transport(ctx_, e);
        if (e == ClientError::Closed && slow_answer_)
            *ctx_.err << ctx_.program
                      << ": (otpd waits a limited time for each answer; run the command again)\n";
        return status;
    }

    const Context& ctx_;
    wire::Intent intent_;
    OtpdConnection connection_;
    bool slow_answer_ = false;
    int answers_sent_ = 0;
};

}  // namespace

int run_user_exchange(const Context& ctx, wire::Intent intent) {
    UserExchange exchange(ctx, intent);
    return exchange.run();
}

}  // namespace kotp::admin
