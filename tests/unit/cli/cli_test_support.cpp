#include "cli_test_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>


namespace kotp::test {
namespace {

bool read_exactly(int fd, std::uint8_t* out, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::recv(fd, out + got, size - got, 0);
        if (n <= 0) return false;
        got += static_cast<std::size_t>(n);
    }
    return true;
}

bool read_request(int fd, Frame& out) {
    std::uint8_t header_bytes[wire::kHeaderSize];
    if (!read_exactly(fd, header_bytes, sizeof header_bytes)) return false;
    wire::FrameHeader header;
    if (wire::parse_header(std::span<const std::uint8_t, wire::kHeaderSize>(header_bytes),
                           wire::kMaxRequestPayload, header) != wire::DecodeError::None)
        return false;
    out.type = header.type;
    out.payload.assign(header.payload_length, 0);
    return read_exactly(fd, out.payload.data(), out.payload.size());
}

}  // namespace

FakeOtpd::FakeOtpd(const TempDir& dir, std::vector<ScriptedReply> script)
    : path_(dir.file("otpd.sock")) {
    std::vector<Conversation> conversations;
    for (ScriptedReply& step : script) conversations.push_back({{std::move(step)}});
    listen();
    thread_ = std::thread([this, c = std::move(conversations)]() mutable { serve(std::move(c)); });
}

FakeOtpd::FakeOtpd(const TempDir& dir, std::vector<Conversation> conversations)
    : path_(dir.file("otpd.sock")) {
    listen();
    thread_ = std::thread([this, c = std::move(conversations)]() mutable { serve(std::move(c)); });
}

void FakeOtpd::listen() {
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (listen_fd_ < 0 ||
        ::bind(listen_fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 8) != 0)
        throw std::runtime_error("cannot listen on " + path_);
}

FakeOtpd::~FakeOtpd() {
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

const std::vector<Frame>& FakeOtpd::requests() {
    if (thread_.joinable()) thread_.join();
    return requests_;
}

void FakeOtpd::serve(std::vector<Conversation> conversations) {
    for (const Conversation& conversation : conversations) {
        // Never wait for ever: a client that gives up early must not hang the test.
        struct pollfd p {
            listen_fd_, POLLIN, 0
        };
        if (::poll(&p, 1, 5000) != 1) return;
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        for (const ScriptedReply& step : conversation.turns) {
            struct pollfd c {
                fd, POLLIN, 0
            };
            Frame request;
            if (::poll(&c, 1, 5000) != 1 || !read_request(fd, request)) break;
            requests_.push_back(std::move(request));
            if (step.reply_after.count() > 0) std::this_thread::sleep_for(step.reply_after);
            if (step.reply_after.count() < 0) break;  // hang up without answering
            if (!step.reply.empty())
                (void)::send(fd, step.reply.data(), step.reply.size(), MSG_NOSIGNAL);
        }
        ::close(fd);
    }
}


std::string find_zbarimg() {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string candidate = dirs.substr(start, end - start) + "/zbarimg";
        if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return "";
}

}  // namespace kotp::test
