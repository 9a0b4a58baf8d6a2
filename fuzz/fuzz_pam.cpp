// pam_sm_authenticate, fed by the fuzz input from both sides: the application (user name, PAM
// items, module arguments, flags, the conversation's answers and failures, a failing
// pam_set_item) through fake_pam.cpp, and otpd (the reply bytes, and how each socket call goes:
// refused, EINTR, EAGAIN, short reads and writes, EOF in the middle of a frame) through
// fake_socket.cpp.
//
// The invariant, checked after every call (abort on violation): the module says PAM_SUCCESS
// only when what it read from otpd was well-formed AuthStep frames, prompts answered one by
// one, ending in Success, for the AuthBegin it sent for this very user; or, with
// failmode=open, when otpd never sent a whole frame. It never leaves the socket open and sets
// PAM_AUTHTOK only on success.
//
// Input layout (Script, fuzz_pam.hpp; make_seeds.py writes the seeds in the same order):
//   u8 flags (bit 0: PAM_SILENT)
//   u8 argc (mod 8), each argument: u8 index into kArguments, or 255 then str
//   u8 user mode (mod 4), str user when the mode is 0
//   for PAM_SERVICE, PAM_RHOST, PAM_TTY, PAM_AUTHTOK: u8 mode (mod 4: 0 unset, 1 str, 2
//     pam_get_item fails, 3 a kHugeSize value)
//   u8 conversation mode (mod 3), u8 pam_set_item fails (bit 0)
//   u8 stat mode (mod 5), u8 passwd mode (mod 3), u8 socket fails (bit 0), u8 connect mode
//     (mod 4), u8 peer mode (mod 4)
//   u32 length (mod 256 KiB) and the bytes otpd sends
//   then, in the order of the calls: one u8 action (and its operand) per send, recv, poll
//   and conversation.
#include <security/pam_modules.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "fuzz_pam.hpp"
#include "kotp/codec.hpp"
#include "kotp/messages.hpp"
#include "kotp/wire.hpp"
#include "module_options.hpp"

extern "C" int pam_sm_authenticate(pam_handle_t* pamh, int flags, int argc, const char** argv);

namespace kotp::fuzz {

std::uint8_t Script::u8() {
    if (left_ == 0) return 0;
    --left_;
    return *data_++;
}

std::uint16_t Script::u16() {
    const auto hi = u8();
    return static_cast<std::uint16_t>((hi << 8) | u8());
}

std::uint32_t Script::u32() {
    const std::uint32_t hi = u16();
    return (hi << 16) | u16();
}

std::string Script::bytes(std::size_t n) {
    n = std::min(n, left_);
    std::string out(reinterpret_cast<const char*>(data_), n);
    data_ += n;
    left_ -= n;
    return out;
}

Scenario& scenario() {
    static Scenario s;
    return s;
}

namespace {

// The arguments the module knows, good and bad; 255 picks raw bytes instead.
const char* const kArguments[] = {
    "debug", "combined", "failmode=open", "failmode=closed", "timeout=1", "timeout=120",
    "socket=/run/otpd/otpd.sock", "timeout=0", "timeout=-1", "failmode=", "socket=relative",
    "bogus", "timeout=99999999999999999999",
};
constexpr std::size_t kArgumentCount = sizeof kArguments / sizeof kArguments[0];

[[noreturn]] void violated(const char* what, int rc) {
    std::fprintf(stderr, "fuzz_pam: INVARIANT VIOLATED (pam_sm_authenticate returned %d): %s\n", rc, what);
    std::abort();
}

// Cuts `bytes` into whole frames (header and payload); a partial frame at the end is dropped.
struct Cut {
    wire::FrameHeader header;
    bool header_ok = false;
    std::size_t offset = 0;
    std::span<const std::uint8_t> payload;
};

std::vector<Cut> whole_frames(const std::string& bytes, std::uint32_t cap) {
    std::vector<Cut> out;
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    std::size_t at = 0;
    while (bytes.size() - at >= wire::kHeaderSize) {
        Cut cut;
        cut.offset = at;
        cut.header_ok = wire::parse_header(std::span<const std::uint8_t, wire::kHeaderSize>(data + at, wire::kHeaderSize),
                                           cap, cut.header) == wire::DecodeError::None;
        if (!cut.header_ok) {  // the module stops at a bad header: nothing after it counts
            out.push_back(cut);
            break;
        }
        if (bytes.size() - at - wire::kHeaderSize < cut.header.payload_length) break;
        cut.payload = std::span<const std::uint8_t>(data + at + wire::kHeaderSize, cut.header.payload_length);
        out.push_back(cut);
        at += wire::kHeaderSize + cut.header.payload_length;
    }
    return out;
}

// How many bytes the module had sent when it read reply byte `offset`.
std::size_t sent_before(const FakeOtpd& otpd, std::size_t offset) {
    std::size_t sent = 0;
    for (const auto& [start, sent_then] : otpd.deliveries)
        if (start <= offset) sent = sent_then;
    return sent;
}

// Everything the module sent must be whole frames: AuthBegin for the PAM user and items, then
// AuthAnswers. Returns how many AuthAnswers, or -1 if `sent` is anything else.
int answers_sent(const std::string& sent, const FakeApplication& app) {
    const auto frames = whole_frames(sent, wire::kMaxRequestPayload);
    std::size_t whole = 0;
    for (const auto& f : frames) whole = f.header_ok ? f.offset + wire::kHeaderSize + f.payload.size() : whole;
    if (frames.empty() || whole != sent.size() || !frames[0].header_ok ||
        frames[0].header.type != wire::MessageType::AuthBegin)
        return -1;
    wire::AuthBegin begin;
    if (wire::decode_payload(frames[0].payload, begin) != wire::DecodeError::None) return -1;
    auto item = [&app](int type) {
        const auto it = app.items.find(type);
        return it == app.items.end() ? std::string() : it->second;
    };
    if (app.user_mode != 0 || begin.user != app.user || begin.service != item(PAM_SERVICE) ||
        begin.rhost != item(PAM_RHOST) || begin.tty != item(PAM_TTY) || begin.intent != wire::Intent::Login)
        return -1;
    for (std::size_t i = 1; i < frames.size(); ++i) {
        wire::AuthAnswer answer;
        if (!frames[i].header_ok || frames[i].header.type != wire::MessageType::AuthAnswer ||
            wire::decode_payload(frames[i].payload, answer) != wire::DecodeError::None)
            return -1;
    }
    return static_cast<int>(frames.size()) - 1;
}

// True if what the module read from otpd is AuthStep Prompt frames, each read only after the
// module had answered the one before, ending in an AuthStep Success.
bool otpd_said_success(const FakeOtpd& otpd, int answers) {
    const std::string read = otpd.replies.substr(0, otpd.delivered);
    const auto frames = whole_frames(read, wire::kMaxReplyPayload);
    if (frames.empty()) return false;
    const auto sent_frames = whole_frames(otpd.sent, wire::kMaxRequestPayload);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const Cut& f = frames[i];
        wire::AuthStep step;
        if (!f.header_ok || f.header.type != wire::MessageType::AuthStep ||
            wire::decode_payload(f.payload, step) != wire::DecodeError::None)
            return false;
        const bool last = i + 1 == frames.size();
        if (step.outcome != (last ? wire::Outcome::Success : wire::Outcome::Prompt)) return false;
        // Frame i answers the AuthBegin (i = 0) or the i-th AuthAnswer: those were sent whole
        // before its first byte was read.
        const std::size_t sent_then = sent_before(otpd, f.offset);
        if (i >= sent_frames.size() ||
            sent_frames[i].offset + wire::kHeaderSize + sent_frames[i].payload.size() > sent_then)
            return false;
    }
    // The module read no more than the frames (it stops at Success), and answered every prompt.
    const std::size_t end = frames.back().offset + wire::kHeaderSize + frames.back().payload.size();
    return end == read.size() && answers == static_cast<int>(frames.size()) - 1;
}

void check(const Scenario& s, int argc, const char** argv, int rc) {
    if (s.otpd.open) violated("the socket to otpd was left open", rc);
    if (s.otpd.sockets > 1) violated("more than one connection for one login", rc);
    if (rc != PAM_SUCCESS) {
        if (s.app.authtok_sets != 0) violated("PAM_AUTHTOK set by a login that did not succeed", rc);
        return;
    }
    const pam::ParsedOptions parsed = pam::parse_module_options(argc, argv);
    if (!parsed.ok()) violated("success with a bad module argument", rc);
    if (parsed.options.combined && s.app.authtok_sets == 0)
        violated("combined success without PAM_AUTHTOK for the next module", rc);
    // failmode=open: otpd unreachable, i.e. it never sent a whole frame.
    const auto read_frames = whole_frames(s.otpd.replies.substr(0, s.otpd.delivered), wire::kMaxReplyPayload);
    if (parsed.options.failmode == pam::FailMode::Open && read_frames.empty()) return;
    const int answers = answers_sent(s.otpd.sent, s.app);
    if (answers < 0) violated("success, but the module did not send AuthBegin (and answers) for this user", rc);
    if (!otpd_said_success(s.otpd, answers)) violated("success without a well-formed Success from otpd", rc);
}

}  // namespace
}  // namespace kotp::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace kotp::fuzz;
    Scenario& s = scenario();
    s = Scenario{};
    Script in(data, size);
    s.script = &in;

    const int flags = (in.u8() & 1) != 0 ? PAM_SILENT : 0;
    std::vector<std::string> arguments(in.u8() % 8);
    for (auto& a : arguments) {
        const std::uint8_t index = in.u8();
        a = index < kArgumentCount ? kArguments[index] : in.str();
    }
    std::vector<const char*> argv;
    for (const auto& a : arguments) argv.push_back(a.c_str());
    argv.push_back(nullptr);

    FakeApplication& app = s.app;
    app.user_mode = in.u8() % 4;
    if (app.user_mode == 0) app.user = in.str();
    for (const int item : {PAM_SERVICE, PAM_RHOST, PAM_TTY, PAM_AUTHTOK}) {
        switch (in.u8() % 4) {
            case 1: app.items[item] = in.str(); break;
            case 2: app.item_fails[item] = true; break;
            case 3: app.items[item] = std::string(kHugeSize, 'x'); break;
            default: break;
        }
    }
    // A string item holds no NUL: cut where C would see the end.
    for (auto& [type, value] : app.items) value = std::string(value.c_str());
    app.user = std::string(app.user.c_str());
    app.conv_mode = in.u8() % 3;
    app.set_item_fails = (in.u8() & 1) != 0;

    FakeOtpd& otpd = s.otpd;
    otpd.stat_mode = in.u8() % 5;
    otpd.passwd_mode = in.u8() % 3;
    otpd.socket_fails = (in.u8() & 1) != 0;
    otpd.connect_mode = in.u8() % 4;
    otpd.peer_mode = in.u8() % 4;
    otpd.replies = in.bytes(in.u32() % (256u * 1024));

    pam_handle handle{&app, {app.conv_mode == 2 ? nullptr : &fake_conversation, &app}};
    const int argc = static_cast<int>(arguments.size());
    s.active = true;
    const int rc = pam_sm_authenticate(&handle, flags, argc, argv.data());
    s.active = false;
    check(s, argc, argv.data(), rc);
    // KOTP_FUZZ_VERBOSE=1: what a seed or crash input did, for the one looking at it.
    static const bool verbose = std::getenv("KOTP_FUZZ_VERBOSE") != nullptr;
    if (verbose)
        std::fprintf(stderr, "fuzz_pam: rc=%d sent=%zu bytes read=%zu of %zu reply bytes conversations=%d\n", rc,
                     s.otpd.sent.size(), s.otpd.delivered, s.otpd.replies.size(), s.app.conversations);
    return 0;
}
