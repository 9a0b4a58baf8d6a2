// Writes the binary seeds of corpus/fuzz_wire (one valid frame of every message type, made by
// the real encoder) and corpus/fuzz_pam (login scenarios in fuzz_pam.cpp's input layout).
// Not run by scripts/fuzz.sh: the seeds are in the tree. After a protocol change, rebuild the
// fuzz build and run   build-fuzz/fuzz/fuzz_make_seeds fuzz/corpus   to write them again.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "kotp/codec.hpp"
#include "kotp/messages.hpp"

namespace {

using namespace kotp::wire;
using Bytes = std::vector<std::uint8_t>;

std::string g_root;

void write(const std::string& target, const std::string& name, const Bytes& bytes) {
    const std::string path = g_root + "/" + target + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        std::exit(1);
    }
}

template <typename Message>
void frame_seed(const std::string& name, const Message& m) {
    const Bytes frame = encode_frame(m);
    if (frame.empty()) {
        std::fprintf(stderr, "seed %s does not encode\n", name.c_str());
        std::exit(1);
    }
    write("fuzz_wire", name, frame);
}

void wire_seeds() {
    frame_seed("auth_begin", AuthBegin{"alice", "sshd", "192.0.2.7", "ssh", Intent::Login});
    frame_seed("auth_begin_enroll", AuthBegin{"bob", "kotp", "", "pts/1", Intent::Enroll});
    AuthAnswer answer;
    answer.response = "123456";
    frame_seed("auth_answer", answer);
    frame_seed("auth_step_prompt", AuthStep{Outcome::Prompt, Status::Ok, false, "Verification code: ", "", 3, 6});
    frame_seed("auth_step_success", AuthStep{Outcome::Success, Status::Ok, false, "", "", 0, 0});
    frame_seed("auth_step_failure", AuthStep{Outcome::Failure, Status::WrongCode, false, "", "Wrong code.", 2, 0});
    frame_seed("error", ErrorReply{Status::PermissionDenied, "not allowed"});
    frame_seed("admin_enroll", AdminEnroll{"alice", TokenType::Totp, Algorithm::Sha256, 8, 60, "phone"});
    Enrolled enrolled;
    enrolled.user = "alice";
    enrolled.token_id = 7;
    enrolled.secret = "JBSWY3DPEHPK3PXP";
    enrolled.uri = "otpauth://totp/kotp:alice?secret=JBSWY3DPEHPK3PXP&issuer=kotp";
    enrolled.label = "phone";
    frame_seed("enrolled", enrolled);
    frame_seed("admin_list", AdminList{"alice", 50});
    UserList list;
    list.users = {{"alice", UserState::Active, 0, 1, 1700000000}, {"bob", UserState::Suspended, 5, 2, 0}};
    list.more = true;
    frame_seed("user_list", list);
    frame_seed("admin_show", AdminShow{"alice"});
    frame_seed("admin_unlock", AdminUnlock{"alice"});
    frame_seed("admin_suspend", AdminSuspend{"alice", "lost phone"});
    frame_seed("admin_remove", AdminRemove{"alice"});
    UserInfo info;
    info.user = "alice";
    info.state = UserState::Suspended;
    info.failures = 5;
    info.reason = "too many failures";
    info.suspended_at = 1700000000;
    info.tokens = {TokenInfo{3, TokenType::Hotp, Algorithm::Sha1, 6, 30, TokenState::Active, "yubikey", 1690000000, 1700000000}};
    info.recovery_left = 8;
    info.exempt_until = 1800000000;
    info.exempt_reason = "service account";
    frame_seed("user_info", info);
    frame_seed("done", Done{"alice unlocked."});
    frame_seed("admin_issue", AdminIssue{"alice", 3600});
    frame_seed("admin_reset", AdminReset{"alice", 72 * 3600});
    frame_seed("admin_recovery", AdminRecovery{"alice"});
    AdminResync resync;
    resync.user = "alice";
    resync.code1 = "123456";
    resync.code2 = "654321";
    frame_seed("admin_resync", resync);
    frame_seed("user_status", UserStatus{});
    ActivationIssued issued;
    issued.user = "alice";
    issued.code = "482913";
    issued.expires = 1700003600;
    frame_seed("activation_issued", issued);
    RecoveryCodes codes;
    codes.user = "alice";
    codes.codes = {"1234-5678-9012", "2345-6789-0123"};
    frame_seed("recovery_codes", codes);
    frame_seed("admin_exempt", AdminExempt{"svc-backup", 1800000000, "backup robot"});
    frame_seed("admin_unexempt", AdminUnexempt{"svc-backup"});
    AdminImport import;
    auto& token = import.tokens.emplace_back();
    token.user = "carol";
    token.type = TokenType::Hotp;
    token.counter = 42;
    token.secret_hex = "3132333435363738393031323334353637383930";
    token.recovery_codes = {"12345678", "87654321"};
    token.label = "imported";
    frame_seed("admin_import", import);
    Imported imported;
    imported.imported = 1;
    imported.failures = {ImportFailure{"dave", Status::InvalidArgument, "already enrolled"}};
    frame_seed("imported", imported);
    frame_seed("admin_log", AdminLog{"alice", 1700000000, 0, 32});
    AuditPage page;
    page.entries = {AuditEntry{12, 1700000000, "alice", "sshd", "192.0.2.7", "ssh", "KS1003", 3, "wrong code"}};
    page.more = true;
    frame_seed("audit_page", page);
    frame_seed("admin_stats", AdminStats{24});
    Stats stats;
    stats.users_total = 10;
    stats.users_active = 9;
    stats.users_suspended = 1;
    stats.hours = {HourCounts{1700000000 - 3600, 5, 1, 2}, HourCounts{1700000000, 3, 0, 0}};
    frame_seed("stats", stats);
}

// fuzz_pam's input, field by field (see the layout at the top of fuzz_pam.cpp).
class PamSeed {
  public:
    PamSeed& u8(std::uint8_t v) {
        bytes_.push_back(v);
        return *this;
    }
    PamSeed& u16(std::uint16_t v) { return u8(static_cast<std::uint8_t>(v >> 8)).u8(static_cast<std::uint8_t>(v)); }
    PamSeed& u32(std::uint32_t v) { return u16(static_cast<std::uint16_t>(v >> 16)).u16(static_cast<std::uint16_t>(v)); }
    PamSeed& str(const std::string& s) {
        u16(static_cast<std::uint16_t>(s.size()));
        bytes_.insert(bytes_.end(), s.begin(), s.end());
        return *this;
    }
    PamSeed& blob(const Bytes& b) {
        u32(static_cast<std::uint32_t>(b.size()));
        bytes_.insert(bytes_.end(), b.begin(), b.end());
        return *this;
    }
    // flags, argv (indexes into fuzz_pam's kArguments), user, service, rhost, tty, authtok
    PamSeed& application(std::uint8_t flags, const std::vector<std::uint8_t>& arguments, const std::string& user,
                         const std::string& authtok = {}) {
        u8(flags).u8(static_cast<std::uint8_t>(arguments.size()));
        for (auto a : arguments) u8(a);
        u8(0).str(user);
        u8(1).str("sshd").u8(1).str("192.0.2.7").u8(1).str("ssh");
        if (authtok.empty()) u8(0); else u8(1).str(authtok);
        return u8(0).u8(0);  // a conversation, pam_set_item works
    }
    // socket owned by root, _otpd exists, socket() works, connect at once, peer root
    PamSeed& reachable_otpd() { return u8(0).u8(0).u8(0).u8(0).u8(0); }
    const Bytes& bytes() const { return bytes_; }

  private:
    Bytes bytes_;
};

Bytes frames(std::initializer_list<Bytes> list) {
    Bytes out;
    for (const auto& f : list) out.insert(out.end(), f.begin(), f.end());
    return out;
}

void pam_seeds() {
    const Bytes prompt = encode_frame(AuthStep{Outcome::Prompt, Status::Ok, false, "Verification code: ", "", 3, 6});
    const Bytes prompt8 = encode_frame(AuthStep{Outcome::Prompt, Status::Ok, false, "", "", 3, 8});
    const Bytes enrol = encode_frame(AuthStep{Outcome::Prompt, Status::Ok, true, "Activation code: ",
                                              "Scan this QR code:\n\xe2\x96\x88\xe2\x96\x80\n", 3, 0});
    const Bytes success = encode_frame(AuthStep{Outcome::Success, Status::Ok, false, "", "", 0, 0});
    const Bytes exempt = encode_frame(AuthStep{Outcome::Success, Status::Exempt, false, "", "KS0001: exempt network", 0, 0});
    const Bytes failure = encode_frame(AuthStep{Outcome::Failure, Status::WrongCode, false, "", "", 2, 0});
    const Bytes suspended = encode_frame(ErrorReply{Status::Suspended, "Suspended: ask your administrator."});
    // Defaults once the input is used up: every send and recv whole, every answer "123456".
    write("fuzz_pam", "login_code_accepted",
          PamSeed().application(0, {}, "alice").reachable_otpd().blob(frames({prompt, success})).bytes());
    write("fuzz_pam", "login_wrong_code",
          PamSeed().application(0, {0}, "alice").reachable_otpd().blob(frames({prompt, failure})).bytes());
    write("fuzz_pam", "login_exempt_no_prompt",
          PamSeed().application(1, {}, "svc-backup").reachable_otpd().blob(success).bytes());
    write("fuzz_pam", "login_suspended_error",
          PamSeed().application(0, {}, "alice").reachable_otpd().blob(suspended).bytes());
    write("fuzz_pam", "enrolment_two_prompts",
          PamSeed().application(0, {}, "bob").reachable_otpd().blob(frames({enrol, prompt, success})).bytes());
    write("fuzz_pam", "combined_password_and_code",
          PamSeed().application(0, {1}, "alice").reachable_otpd().blob(frames({prompt8, success}))
              .u8(0).u8(0).u8(0)  // send AuthBegin, recv header, recv payload
              .u8(0).str("hunter212345678")  // the answer: password and an 8-digit code
              .bytes());
    write("fuzz_pam", "combined_authtok_from_earlier_module",
          PamSeed().application(0, {1, 0}, "alice", "hunter2654321").reachable_otpd().blob(frames({prompt, exempt})).bytes());
    // failmode=open with otpd refusing the connection: let in by design.
    write("fuzz_pam", "failmode_open_refused",
          PamSeed().application(0, {2}, "alice").u8(0).u8(0).u8(0).u8(1).u8(0).blob({}).bytes());
    // failmode=open, otpd answered a prompt, then closed in the middle of the next frame.
    Bytes cut = frames({prompt, success});
    cut.resize(prompt.size() + 5);
    write("fuzz_pam", "failmode_open_eof_mid_frame",
          PamSeed().application(0, {2}, "alice").reachable_otpd().blob(cut).bytes());
    // A slow otpd: short reads and writes, EINTR and EAGAIN on the way (actions after the blob:
    // send, then recv / poll in the order client.cpp makes them).
    write("fuzz_pam", "short_reads_eintr",
          PamSeed().application(0, {}, "alice").u8(0).u8(0).u8(0).u8(2).u8(0).blob(frames({prompt, success}))
              .u8(0)                     // poll for connect: ready
              .u8(1).u8(3).u8(2).u8(0)   // send AuthBegin: 4 bytes, EINTR, the rest
              .u8(3).u8(0).u8(1).u8(2)   // recv: EAGAIN, poll ready, 3 bytes
              .u8(0)                     // recv: the rest of the header
              .u8(0)                     // recv: the prompt's payload
              .u8(0)                     // conversation: an answer
              .str("123456")
              .bytes());
    // The socket belongs to someone else: fail closed even with failmode=open.
    write("fuzz_pam", "untrusted_socket_owner",
          PamSeed().application(0, {2}, "alice").u8(4).u8(0).u8(0).u8(0).u8(0).blob(success).bytes());
    // The conversation fails at the prompt.
    write("fuzz_pam", "conversation_fails",
          PamSeed().application(0, {}, "alice").reachable_otpd().blob(frames({prompt, success}))
              .u8(0).u8(0).u8(0).u8(1).bytes());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_FOLDER (fuzz/corpus)\n", argv[0]);
        return 2;
    }
    g_root = argv[1];
    wire_seeds();
    pam_seeds();
    return 0;
}
