// One client must not starve the others: per-uid connection limits, the frame deadline, and
// malformed frames, each while a normal login runs beside it.
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <thread>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;

constexpr uid_t kNobody = 65534;

int connect_to(const std::string& path) {
    struct sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads until EOF or `timeout`; returns what arrived, and whether the peer closed.
std::pair<std::string, bool> read_until_closed(int fd, std::chrono::milliseconds timeout) {
    struct timeval tv {};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string data;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        // A close with our bytes still unread on otpd's side arrives as a reset.
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return {data, true};
        if (n < 0) return {data, false};
        data.append(buf, static_cast<std::size_t>(n));
    }
}

// The status of an Error frame (type 129), or -1.
int error_status(const std::string& frame) {
    if (frame.size() < 10 || static_cast<unsigned char>(frame[7]) != 129) return -1;
    return (static_cast<unsigned char>(frame[8]) << 8) | static_cast<unsigned char>(frame[9]);
}

class HostileClientTest : public OtpdFixture {};

TEST_F(HostileClientTest, OneUidCannotHoldEveryConnection) {
    const auto secret = enroll("alice");
    int ready[2];
    int done[2];
    ASSERT_EQ(::pipe(ready), 0);
    ASSERT_EQ(::pipe(done), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        // As nobody: hold the 8 connections allowed, then try a ninth.
        ::close(ready[0]);
        ::close(done[1]);
        if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(10);
        std::array<int, 8> held{};
        for (auto& fd : held)
            if ((fd = connect_to(socket_path)) < 0) ::_exit(11);
        const int ninth = connect_to(socket_path);
        const auto [reply, closed] = read_until_closed(ninth, std::chrono::milliseconds(3000));
        const char verdict = (closed && error_status(reply) == 1012) ? 'B' : 'X';
        [[maybe_unused]] auto w = ::write(ready[1], &verdict, 1);
        char c;
        [[maybe_unused]] auto r = ::read(done[0], &c, 1);
        ::_exit(0);
    }
    ::close(ready[1]);
    ::close(done[0]);
    char verdict = 0;
    ASSERT_EQ(::read(ready[0], &verdict, 1), 1);
    EXPECT_EQ(verdict, 'B') << "the ninth connection of one uid was not refused with KS1012";
    // While nobody holds its 8 connections, root's login is served at once.
    const auto r = login("alice", {totp(secret)});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_LT(r.elapsed.count(), 2000);
    ::close(done[1]);
    EXPECT_EQ(wait_exit(child, std::chrono::seconds(10)), 0);
    EXPECT_THAT(read_file(log_path), HasSubstr("KS1012 connection refused: uid=65534"));
}

TEST_F(HostileClientTest, SlowClientIsDroppedAtTheFrameDeadline) {
    stop_otpd(SIGTERM);
    extra_config = "io_timeout = 1s\n";
    start_otpd();
    const auto secret = enroll("alice");
    const int slow = connect_to(socket_path);
    ASSERT_GE(slow, 0);
    ASSERT_EQ(::send(slow, "\0", 1, MSG_NOSIGNAL), 1);  // one byte of a header, then silence
    const auto r = login("alice", {totp(secret)});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    const auto start = std::chrono::steady_clock::now();
    const auto [data, closed] = read_until_closed(slow, std::chrono::milliseconds(5000));
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(closed) << "otpd kept a stalled frame open";
    EXPECT_LT(waited, std::chrono::milliseconds(3000));
    ::close(slow);
}

TEST_F(HostileClientTest, FrameClaiming4GiBOrGarbageIsRefusedAndOthersGoOn) {
    const auto secret = enroll("alice");
    const int huge = connect_to(socket_path);
    const unsigned char header[8] = {0xff, 0xff, 0xff, 0xff, 0, 1, 0, 1};
    ASSERT_EQ(::send(huge, header, sizeof header, MSG_NOSIGNAL), 8);
    auto [reply, closed] = read_until_closed(huge, std::chrono::milliseconds(3000));
    EXPECT_TRUE(closed);
    EXPECT_EQ(error_status(reply), 1011);
    ::close(huge);

    const int garbage = connect_to(socket_path);
    std::string noise(4096, '\0');
    for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 7919u + 13u) & 0xff);
    [[maybe_unused]] auto n = ::send(garbage, noise.data(), noise.size(), MSG_NOSIGNAL);
    std::tie(reply, closed) = read_until_closed(garbage, std::chrono::milliseconds(3000));
    EXPECT_TRUE(closed);
    ::close(garbage);

    EXPECT_EQ(login("alice", {totp(secret)}).exit_code, 0);
}

}  // namespace
}  // namespace kotp::integration
