#include "user_exchange.hpp"

#include <pwd.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "kotp/client.hpp"
#include "kotp/messages.hpp"
#include "kotp/status.hpp"
#include "kotp/wipe.hpp"

namespace kotp::admin {
namespace {

// More prompts than any exchange needs (activation, first code) means a confused otpd.
constexpr int kMaxSteps = 8;

std::string own_user_name() {
    std::vector<char> buf(16384);
    struct passwd pw {};
    struct passwd* found = nullptr;
    if (getpwuid_r(getuid(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) return {};
    return found->pw_name;
}

// Reads one line from stdin; with echo off at a terminal when `echo` is false.
bool read_answer(bool echo, std::string& line) {
    struct termios saved {};
    const bool terminal = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (terminal && !echo) {
        struct termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    const bool ok = static_cast<bool>(std::getline(std::cin, line));
    if (terminal && !echo) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cout << '\n';
    }
    return ok;
}

int exit_for(wire::Status status) {
    switch (status) {
        case wire::Status::PermissionDenied: return kExitPermission;
        case wire::Status::UnknownUser: return kExitUnknownUser;
        default: return kExitRefused;
    }
}

int unreachable(const Context& ctx, ClientError e) {
    *ctx.err << ctx.program << ": cannot talk to otpd at " << ctx.socket_path << ": " << to_string(e) << '\n';
    return kExitUnreachable;
}

}  // namespace

std::string terminal_text(std::string_view text) {
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\n' || (byte >= 0x20 && byte != 0x7f)) out.push_back(c);
    }
    return out;
}

int run_user_exchange(const Context& ctx, wire::Intent intent) {
    wire::AuthBegin begin;
    begin.user = own_user_name();
    if (begin.user.empty()) {
        *ctx.err << "kotp: your uid " << getuid() << " has no user name\n";
        return kExitRefused;
    }
    begin.service = "kotp";
    const char* tty = ::ttyname(STDIN_FILENO);
    begin.tty = tty != nullptr ? tty : "";
    begin.intent = intent;

    OtpdConnection connection;
    if (const auto e = connection.connect(ctx.socket_path, ctx.timeout, TrustedOwner::RootOtpdOrSelf);
        e != ClientError::None)
        return unreachable(ctx, e);
    auto frame = wire::encode_frame(begin);
    if (const auto e = connection.send(frame, ctx.timeout); e != ClientError::None) return unreachable(ctx, e);

    for (int step = 0; step < kMaxSteps; ++step) {
        Frame reply;
        if (const auto e = connection.receive(reply, ctx.timeout); e != ClientError::None)
            return unreachable(ctx, e);
        if (reply.type == wire::MessageType::Error) {
            wire::ErrorReply error;
            if (wire::decode_payload(reply.payload, error) != wire::DecodeError::None) break;
            *ctx.err << "kotp: " << status_line(error.status)
                     << (error.text.empty() ? "" : " (" + terminal_text(error.text) + ")") << '\n';
            return exit_for(error.status);
        }
        wire::AuthStep auth_step;
        if (reply.type != wire::MessageType::AuthStep ||
            wire::decode_payload(reply.payload, auth_step) != wire::DecodeError::None)
            break;
        wipe(reply.payload);
        if (auth_step.outcome == wire::Outcome::Success) {
            if (!auth_step.text.empty()) *ctx.out << terminal_text(auth_step.text) << '\n';
            wipe(auth_step.text);
            return kExitOk;
        }
        if (auth_step.outcome == wire::Outcome::Failure) {
            *ctx.err << terminal_text(auth_step.text) << '\n';
            return exit_for(auth_step.status);
        }
        if (!auth_step.text.empty()) *ctx.out << terminal_text(auth_step.text) << '\n';
        *ctx.out << terminal_text(auth_step.prompt) << std::flush;
        wipe(auth_step.text);
        wire::AuthAnswer answer;
        if (!read_answer(auth_step.echo, answer.response)) {
            *ctx.err << "\nkotp: no answer (end of input); nothing was changed\n";
            return kExitRefused;
        }
        frame = wire::encode_frame(answer);
        if (frame.empty()) {
            *ctx.err << "kotp: that answer is too long\n";
            return kExitRefused;
        }
        const auto e = connection.send(frame, ctx.timeout);
        wipe(frame);
        if (e != ClientError::None) return unreachable(ctx, e);
    }
    *ctx.err << "kotp: " << status_line(wire::Status::ProtocolError) << '\n';
    return kExitRefused;
}

}  // namespace kotp::admin
