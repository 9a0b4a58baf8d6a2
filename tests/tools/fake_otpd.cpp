// fake_otpd: a scripted stand-in for otpd on a Unix socket, for testing pam_kotp.so without the
// daemon: outages, hostile or broken replies, and each shape of login exchange.
//
//   fake_otpd --socket PATH --mode MODE [--chown UID] [--peer-uid UID] [--status N]
//             [--prompt TEXT] [--text TEXT] [--final-text TEXT] [--echo] [--expect CODE]
//             [--attempts N] [--code-digits N] [--record FILE]
//
// Modes (what happens on each connection):
//   silent               accept and never answer
//   hangup               read AuthBegin, close without a reply
//   code                 Prompt{prompt, text, echo}; the answer --expect gets Success{final-text},
//                        any other Failure{--status (default WrongCode), final-text, attempts}
//   success              Success{text} at once (an exemption)
//   fail                 Failure{--status, text} at once
//   error                Error{--status, text} at once
//   garbage              a frame header with a bad version
//   wrong-type           a well-formed Done frame, which no login expects
//   hangup-after-prompt  Prompt, read the answer, close without a reply
//   prompt-loop          Prompt again after every answer
//
// --code-digits sets AuthStep.code_digits of the prompts (default 0).
// --chown gives the socket file to UID; --peer-uid switches to UID before listen(), so that
// SO_PEERCRED of every connection names UID. --record appends what arrived to FILE:
// "BEGIN user=<u> service=<s> rhost=<r> tty=<t>" and "ANSWER <text>" (a test tool: it records
// the answer so the test can check it arrived intact). Prints READY on stdout once listening and
// serves connections one at a time until it is killed.
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kotp/codec.hpp"
#include "kotp/messages.hpp"
#include "kotp/wire.hpp"

namespace {

using kotp::wire::Status;

struct Options {
    std::string socket_path, mode;
    long chown_uid = -1, peer_uid = -1;
    long status = -1;
    std::string prompt = "Verification code: ";
    std::string text, final_text, expect;
    bool echo = false;
    long attempts = 4;
    long code_digits = 0;
    std::string record_path;
};

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stderr, "fake_otpd: %s\n", why.c_str());
    std::exit(2);
}

long to_number(const std::string& s) {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno != 0) die("not a number: " + s);
    return v;
}

Options parse_arguments(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--echo") {
            o.echo = true;
            continue;
        }
        if (i + 1 >= argc) die("missing value after " + flag);
        const std::string value = argv[++i];
        if (flag == "--socket")
            o.socket_path = value;
        else if (flag == "--mode")
            o.mode = value;
        else if (flag == "--chown")
            o.chown_uid = to_number(value);
        else if (flag == "--peer-uid")
            o.peer_uid = to_number(value);
        else if (flag == "--status")
            o.status = to_number(value);
        else if (flag == "--prompt")
            o.prompt = value;
        else if (flag == "--text")
            o.text = value;
        else if (flag == "--final-text")
            o.final_text = value;
        else if (flag == "--expect")
            o.expect = value;
        else if (flag == "--attempts")
            o.attempts = to_number(value);
        else if (flag == "--code-digits")
            o.code_digits = to_number(value);
        else if (flag == "--record")
            o.record_path = value;
        else
            die("unknown option " + flag);
    }
    if (o.socket_path.empty() || o.mode.empty()) die("--socket and --mode are required");
    return o;
}

bool write_all(int fd, const std::vector<std::uint8_t>& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

bool read_all(int fd, std::uint8_t* out, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::recv(fd, out + got, size - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        got += static_cast<std::size_t>(n);
    }
    return true;
}

bool read_frame(int fd, kotp::wire::MessageType& type, std::vector<std::uint8_t>& payload) {
    std::uint8_t header_bytes[kotp::wire::kHeaderSize];
    if (!read_all(fd, header_bytes, sizeof header_bytes)) return false;
    kotp::wire::FrameHeader header;
    if (kotp::wire::parse_header(
            std::span<const std::uint8_t, kotp::wire::kHeaderSize>(header_bytes),
            kotp::wire::kMaxRequestPayload, header) != kotp::wire::DecodeError::None)
        return false;
    type = header.type;
    payload.assign(header.payload_length, 0);
    return read_all(fd, payload.data(), payload.size());
}

class Session {
  public:
    Session(const Options& options, std::FILE* record) : o_(options), record_(record) {}

    // Serves one connection; returns true if the fd must stay open (silent mode).
    bool serve(int fd) {
        if (o_.mode == "silent") return true;
        if (!read_begin(fd)) return false;
        if (o_.mode == "hangup") return false;
        if (o_.mode == "success") {
            send_step(fd, kotp::wire::Outcome::Success, status_or(Status::Ok), o_.text);
        } else if (o_.mode == "fail") {
            send_step(fd, kotp::wire::Outcome::Failure, status_or(Status::WrongCode), o_.text);
        } else if (o_.mode == "error") {
            kotp::wire::ErrorReply error;
            error.status = status_or(Status::InternalError);
            error.text = o_.text;
            write_all(fd, kotp::wire::encode_frame(error));
        } else if (o_.mode == "garbage") {
            write_all(fd, {0, 0, 0, 0, 0x7f, 0x7f, 0, 128});
        } else if (o_.mode == "wrong-type") {
            kotp::wire::Done done;
            done.text = "done";
            write_all(fd, kotp::wire::encode_frame(done));
        } else if (o_.mode == "code" || o_.mode == "hangup-after-prompt" ||
                   o_.mode == "prompt-loop") {
            serve_prompts(fd);
        } else {
            die("unknown mode " + o_.mode);
        }
        return false;
    }

  private:
    Status status_or(Status fallback) const {
        return o_.status < 0 ? fallback : static_cast<Status>(o_.status);
    }

    bool read_begin(int fd) {
        kotp::wire::MessageType type{};
        std::vector<std::uint8_t> payload;
        kotp::wire::AuthBegin begin;
        if (!read_frame(fd, type, payload) || type != kotp::wire::MessageType::AuthBegin ||
            kotp::wire::decode_payload(payload, begin) != kotp::wire::DecodeError::None)
            return false;
        record("BEGIN user=" + begin.user + " service=" + begin.service + " rhost=" + begin.rhost +
               " tty=" + begin.tty);
        return true;
    }

    void serve_prompts(int fd) {
        for (;;) {
            send_step(fd, kotp::wire::Outcome::Prompt, Status::Ok, o_.text, o_.prompt, o_.echo);
            kotp::wire::MessageType type{};
            std::vector<std::uint8_t> payload;
            kotp::wire::AuthAnswer answer;
            if (!read_frame(fd, type, payload) || type != kotp::wire::MessageType::AuthAnswer ||
                kotp::wire::decode_payload(payload, answer) != kotp::wire::DecodeError::None)
                return;
            record("ANSWER " + answer.response);
            if (o_.mode == "hangup-after-prompt") return;
            if (o_.mode == "prompt-loop") continue;
            if (answer.response == o_.expect) {
                send_step(fd, kotp::wire::Outcome::Success, Status::Ok, o_.final_text);
            } else {
                send_step(fd, kotp::wire::Outcome::Failure, status_or(Status::WrongCode),
                          o_.final_text);
            }
            return;
        }
    }

    void send_step(int fd, kotp::wire::Outcome outcome, Status status, const std::string& text,
                   const std::string& prompt = {}, bool echo = false) {
        kotp::wire::AuthStep step;
        step.outcome = outcome;
        step.status = status;
        step.echo = echo;
        step.prompt = prompt;
        step.text = text;
        step.attempts_left = static_cast<std::uint8_t>(o_.attempts);
        if (outcome == kotp::wire::Outcome::Prompt)
            step.code_digits = static_cast<std::uint8_t>(o_.code_digits);
        write_all(fd, kotp::wire::encode_frame(step));
    }

    void record(const std::string& line) {
        if (record_ == nullptr) return;
        std::fprintf(record_, "%s\n", line.c_str());
        std::fflush(record_);
    }

    const Options& o_;
    std::FILE* record_;
};

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse_arguments(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);

    std::FILE* record = nullptr;
    if (!options.record_path.empty()) {
        record = std::fopen(options.record_path.c_str(), "a");
        if (record == nullptr) die("cannot open " + options.record_path);
    }

    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) die(std::string("socket: ") + std::strerror(errno));
    struct sockaddr_un addr {};
    if (options.socket_path.size() >= sizeof addr.sun_path) die("socket path too long");
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, options.socket_path.c_str(), options.socket_path.size() + 1);
    if (::bind(listener, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0)
        die(std::string("bind: ") + std::strerror(errno));
    if (options.chown_uid >= 0 &&
        ::chown(options.socket_path.c_str(), static_cast<uid_t>(options.chown_uid),
                static_cast<gid_t>(-1)) != 0)
        die(std::string("chown: ") + std::strerror(errno));
    if (options.peer_uid >= 0) {
        const auto uid = static_cast<uid_t>(options.peer_uid);
        if (::setgroups(0, nullptr) != 0 || ::setresgid(uid, uid, uid) != 0 ||
            ::setresuid(uid, uid, uid) != 0)
            die(std::string("cannot switch to uid: ") + std::strerror(errno));
    }
    if (::listen(listener, 16) != 0) die(std::string("listen: ") + std::strerror(errno));
    std::printf("READY\n");
    std::fflush(stdout);

    Session session(options, record);
    std::vector<int> held;  // connections kept open in silent mode
    for (;;) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            die(std::string("accept: ") + std::strerror(errno));
        }
        if (session.serve(fd)) {
            held.push_back(fd);
        } else {
            ::close(fd);
        }
    }
}
