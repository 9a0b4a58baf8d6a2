// Helpers for the kotp-admin tests: a temporary directory, a scripted fake otpd on a Unix
// socket, and running programs (kotp-admin itself, zbarimg) with their output captured.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "kotp/client.hpp"
#include "kotp/codec.hpp"
#include "process.hpp"

namespace kotp::test {


// What the fake otpd does with one connection: it reads one request frame, then sends `reply`
// (if `reply_after` is not negative: a negative delay means hang up without answering; a
// delay longer than the client's timeout makes it time out).
struct ScriptedReply {
    std::vector<std::uint8_t> reply;
    std::chrono::milliseconds reply_after{0};
};

// One connection of a login-style exchange (kotp enroll ...): for each turn the fake otpd reads
// one frame (AuthBegin, then AuthAnswer ...) and sends that turn's reply. The connection ends
// after the last turn, or as soon as the client sends nothing more.
struct Conversation {
    std::vector<ScriptedReply> turns;
};

class FakeOtpd {
  public:
    // Serves one connection per scripted reply, in order, on a socket in `dir`.
    FakeOtpd(const TempDir& dir, std::vector<ScriptedReply> script);
    // Serves one connection per conversation, in order.
    FakeOtpd(const TempDir& dir, std::vector<Conversation> conversations);
    ~FakeOtpd();
    FakeOtpd(const FakeOtpd&) = delete;
    FakeOtpd& operator=(const FakeOtpd&) = delete;

    const std::string& socket_path() const { return path_; }
    // The requests received so far; call after the client is done (joins the server thread).
    const std::vector<Frame>& requests();

  private:
    void listen();
    void serve(std::vector<Conversation> conversations);

    std::string path_;
    int listen_fd_ = -1;
    std::thread thread_;
    std::vector<Frame> requests_;
};

template <typename Message>
ScriptedReply reply_with(const Message& message) {
    return {wire::encode_frame(message), std::chrono::milliseconds(0)};
}

template <typename Message>
Message decode_request(const Frame& frame) {
    Message message;
    if (frame.type != Message::kType ||
        wire::decode_payload(frame.payload, message) != wire::DecodeError::None)
        throw std::runtime_error("request does not decode as the expected message");
    return message;
}

// A command run in-process against a fake otpd in dir_, its output captured.
class CapturedCommandTest : public ::testing::Test {
protected:
    admin::Context context(const std::string& socket, bool json) {
        admin::Context ctx;
        ctx.socket_path = socket;
        ctx.json = json;
        ctx.timeout = std::chrono::seconds(2);
        ctx.out = &out_;
        ctx.err = &err_;
        return ctx;
    }
    nlohmann::json json_out() const { return nlohmann::json::parse(out_.str()); }

    TempDir dir_;
    std::ostringstream out_;
    std::ostringstream err_;
};

// Path of zbarimg, or "" when zbar-tools is not installed.
std::string find_zbarimg();

}  // namespace kotp::test
