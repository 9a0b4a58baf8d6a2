// What fuzz_pam.cpp, fake_pam.cpp and fake_socket.cpp share: the script read from the fuzz input
// and the state of the fake application (PAM handle, conversation) and of the fake otpd.
#pragma once

#include <security/pam_modules.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kotp::fuzz {

// Reads the fuzz input front to back. Past the end every value is 0 and every string empty, so
// any prefix of a seed is still a whole (shorter) scenario.
class Script {
  public:
    Script(const std::uint8_t* data, std::size_t size) : data_(data), left_(size) {}
    std::uint8_t u8();
    std::uint16_t u16();
    std::uint32_t u32();
    std::string bytes(std::size_t n);
    std::string str() { return bytes(u16()); }  // u16 length, then the bytes
    bool empty() const { return left_ == 0; }

  private:
    const std::uint8_t* data_;
    std::size_t left_;
};

// The otpd side, served from the script by the wrapped socket calls (fake_socket.cpp).
struct FakeOtpd {
    // Set up before the call, from the head of the script.
    int stat_mode = 0;     // 0 socket owned by root, 1 missing, 2 regular file, 3 owned by _otpd, 4 by uid 1000
    int passwd_mode = 0;   // 0 _otpd is uid 990, 1 no _otpd entry, 2 getpwnam_r fails
    bool socket_fails = false;
    int connect_mode = 0;  // 0 at once, 1 ECONNREFUSED, 2 EINPROGRESS then ok, 3 EINPROGRESS then refused
    int peer_mode = 0;     // SO_PEERCRED: 0 root, 1 _otpd, 2 uid 1000, 3 getsockopt fails
    std::string replies;   // every byte otpd would send, in order

    // What happened.
    bool open = false;     // the module holds the fake socket
    int sockets = 0;       // sockets created
    std::size_t delivered = 0;  // bytes of `replies` the module has read
    std::string sent;      // bytes the module sent
    // For each recv that delivered bytes: the offset in `replies` it started at, and how many
    // bytes the module had sent by then.
    std::vector<std::pair<std::size_t, std::size_t>> deliveries;
};

// The application's side: the PAM handle and the conversation.
struct FakeApplication {
    int user_mode = 0;  // 0 the name below, 1 NULL with PAM_SUCCESS, 2 PAM_CONV_AGAIN, 3 PAM_SYSTEM_ERR
    std::string user;
    std::map<int, std::string> items;  // PAM_SERVICE, PAM_RHOST, PAM_TTY, PAM_AUTHTOK
    std::map<int, bool> item_fails;    // pam_get_item returns PAM_SYSTEM_ERR for these
    int conv_mode = 0;                 // 0 a conversation function, 1 no PAM_CONV item, 2 conv == NULL
    bool set_item_fails = false;       // pam_set_item returns PAM_BUF_ERR
    int authtok_sets = 0;              // successful pam_set_item(PAM_AUTHTOK) calls
    int conversations = 0;
};

// The one scenario under way (the fakes are C functions: they find it here).
struct Scenario {
    Script* script = nullptr;
    FakeOtpd otpd;
    FakeApplication app;
    bool active = false;  // inside pam_sm_authenticate: the wrapped calls are the fake's
};

Scenario& scenario();

// The conversation function the fake PAM_CONV item points to.
int fake_conversation(int count, const struct pam_message** messages, struct pam_response** responses,
                      void* appdata);

// The fake socket's descriptor: never a real one (it is above any the fuzzer opens).
inline constexpr int kFakeSocketFd = 1021;
// A huge value (an item, an answer): more than any limit, and more than a u16 length can say.
inline constexpr std::size_t kHugeSize = 70000;
// The uid getpwnam_r("_otpd") gives.
inline constexpr unsigned kOtpdUid = 990;

}  // namespace kotp::fuzz

// The handle the module receives; pam_modules.h leaves it opaque.
struct pam_handle {
    kotp::fuzz::FakeApplication* app;
    struct pam_conv conv;
};
