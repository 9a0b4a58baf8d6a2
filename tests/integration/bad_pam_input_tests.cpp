// Hostile input from the PAM side, through the real libpam, pam_kotp.so and otpd: user names
// that are huge, not UTF-8, full of shell metacharacters or terminal escapes, or (on the wire
// only: C strings end at NUL) hold a NUL byte; answers of 1 MB, empty, with spaces or junk. Each
// gets a clear refusal and no crash, and nothing of it reaches a log unescaped: otpd's log, the
// module's syslog lines (captured by libkotp_syslog_capture.so) and kotp-admin log.
//
// Spaces in a code are accepted: authenticator apps show "123 456" and users type it so; any
// other character makes the answer no code at all (KS1007, not counted as a failure).
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "kotp/codec.hpp"
#include "kotp/messages.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The first byte of `text` a log line must never hold raw: a control character other than the
// newline that ends each line, DEL, or any byte above ASCII. npos if there is none.
std::size_t raw_byte(const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if ((c < 0x20 && c != '\n') || c >= 0x7f) return i;
    }
    return std::string::npos;
}

bool has_line_starting(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0 || text.find("\n" + prefix) != std::string::npos;
}

class BadPamInputTest : public OtpdFixture {
protected:
    std::string syslog_path() const { return dir + "/syslog"; }
    // pam_login with the module's syslog lines captured to syslog_path().
    RunResult login_as(const std::string& user, const std::vector<std::string>& answers,
                       const std::string& rhost = "192.0.2.10", const std::vector<std::string>& extra = {}) {
        std::vector<std::string> argv = {program(PAM_LOGIN_PATH), "--confdir", pam_dir, "--service", "kotp-test",
                                         "--user", user, "--rhost", rhost, "--tty", "ssh"};
        for (const auto& a : answers) argv.insert(argv.end(), {"--answer", a});
        argv.insert(argv.end(), extra.begin(), extra.end());
        RunOptions options;
        options.env = {"LD_PRELOAD=" + program(SYSLOG_CAPTURE_PATH), "KOTP_SYSLOG_CAPTURE=" + syslog_path()};
        return run(argv, options);
    }
    void expect_logs_escaped() {
        const auto otpd_log = read_file(log_path);
        const auto module_log = read_file(syslog_path());
        EXPECT_EQ(raw_byte(otpd_log), std::string::npos) << otpd_log;
        EXPECT_EQ(raw_byte(module_log), std::string::npos) << module_log;
        const std::string forged = "KS0000 login accepted user=\"root\"";
        EXPECT_FALSE(has_line_starting(otpd_log, forged)) << "a forged line in otpd's log:\n" << otpd_log;
        EXPECT_FALSE(has_line_starting(module_log, forged)) << module_log;
    }
    std::string failures(const std::string& user) { return json_field(admin_json({"show", user}), "failures"); }
};

TEST_F(BadPamInputTest, HostileUserNamesAreRefusedClearlyAndLoggedOnlyEscaped) {
    const std::vector<std::string> names = {
        std::string(10000, 'a'),
        "\xff\xfe\xc3(user",                  // not UTF-8
        "$(reboot)",
        "`id`",
        "a|b", "a&b", "a>b", "a;b",
        "alice\nKS0000 login accepted user=\"root\"",  // a forged log line
        "\x1b[31mred\x1b[0m\x1b]0;title\x07",         // colour, and a terminal title
    };
    for (const auto& name : names) {
        const auto r = login_as(name, {"123456"});
        EXPECT_EQ(r.exit_code, 1) << r.out;
        EXPECT_THAT(r.out, HasSubstr("ERROR: KS1014: Invalid user name.")) << name.substr(0, 40);
        EXPECT_THAT(r.out, Not(HasSubstr("PROMPT"))) << "asked for a code for an invalid name";
    }
    expect_logs_escaped();
    const auto otpd_log = read_file(log_path);
    EXPECT_THAT(otpd_log, HasSubstr("KS1014 login refused: invalid user name \"$(reboot)\""));
    EXPECT_THAT(otpd_log, HasSubstr("\"alice\\x0aKS0000 login accepted user=\\\"root\\\"\""));
    EXPECT_THAT(otpd_log, HasSubstr("\"\\x1b[31mred\\x1b[0m\\x1b]0;title\\x07\""));
    EXPECT_THAT(otpd_log, HasSubstr("\"\\xff\\xfe\\xc3(user\""));
    const auto module_log = read_file(syslog_path());
    EXPECT_THAT(module_log, HasSubstr("user=\"" + std::string(256, 'a') + "\"..."));
    EXPECT_THAT(module_log, HasSubstr("user=\"\\x1b[31mred"));
    // otpd is still there for everyone else.
    const auto secret = enroll("alice");
    EXPECT_EQ(login_as("alice", {totp(secret)}).exit_code, 0);
}

TEST_F(BadPamInputTest, UserNameWithNulOnTheWireIsRefused) {
    // C strings stop at NUL, so only a raw client can send one: root, as sshd would be.
    wire::AuthBegin begin{"aliXce", "sshd", "192.0.2.10", "ssh"};
    auto frame = wire::encode_frame(begin);
    ASSERT_FALSE(frame.empty());
    const auto at = std::string(frame.begin(), frame.end()).find("aliXce");
    ASSERT_NE(at, std::string::npos);
    frame[at + 3] = 0;

    const int fd = connect_to(socket_path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
    std::vector<std::uint8_t> reply;
    std::uint8_t buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) reply.insert(reply.end(), buffer, buffer + n);
    ::close(fd);  // otpd closed first: the refusal ends the connection

    ASSERT_GE(reply.size(), wire::kHeaderSize);
    wire::FrameHeader header;
    ASSERT_EQ(wire::parse_header(std::span<const std::uint8_t, wire::kHeaderSize>(reply.data(), wire::kHeaderSize),
                                 wire::kMaxReplyPayload, header),
              wire::DecodeError::None);
    const std::span<const std::uint8_t> payload(reply.data() + wire::kHeaderSize, reply.size() - wire::kHeaderSize);
    if (header.type == wire::MessageType::Error) {
        wire::ErrorReply error;
        ASSERT_EQ(wire::decode_payload(payload, error), wire::DecodeError::None);
        EXPECT_EQ(error.status, wire::Status::ProtocolError);
    } else {
        ASSERT_EQ(header.type, wire::MessageType::AuthStep);
        wire::AuthStep step;
        ASSERT_EQ(wire::decode_payload(payload, step), wire::DecodeError::None);
        EXPECT_EQ(step.outcome, wire::Outcome::Failure);
        EXPECT_EQ(step.status, wire::Status::InvalidArgument);
    }
    expect_logs_escaped();
    // Still serving.
    const auto secret = enroll("alice");
    EXPECT_EQ(login_as("alice", {totp(secret)}).exit_code, 0);
}

TEST_F(BadPamInputTest, HugeEmptyAndJunkAnswersAreRefusedUncountedAndSpacesAreAccepted) {
    const auto secret = enroll("alice");
    const auto huge = dir + "/answer";
    write_file(huge, std::string(1 << 20, '7'));
    auto r = login_as("alice", {}, "192.0.2.10", {"--answer-file", huge});
    EXPECT_EQ(r.exit_code, 1) << r.out.substr(0, 500);
    EXPECT_THAT(r.out, HasSubstr("ERROR: KS1007: The verification code must be 6 or 8 digits."));
    for (const std::string junk : {"", "12345x", "123\t456", "123-456", "$(reboot)", "\x1b[2J"}) {
        r = login_as("alice", {junk});
        EXPECT_EQ(r.exit_code, 1) << r.out;
        EXPECT_THAT(r.out, HasSubstr("ERROR: KS1007: The verification code must be 6 or 8 digits."))
            << "answer \"" << junk << "\"";
    }
    EXPECT_EQ(failures("alice"), "0") << "what cannot be a code is no guess";

    const auto code = totp(secret);
    r = login_as("alice", {code.substr(0, 3) + " " + code.substr(3)});  // as the app shows it
    EXPECT_EQ(r.exit_code, 0) << r.out;
    const auto next = totp(secret, {"--totp", "-N", "now + 30 seconds"});
    r = login_as("alice", {" " + next + " "});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_THAT(login_as("alice", {next}).out, HasSubstr("KS1004"));  // spaces make no new code

    expect_logs_escaped();
    EXPECT_THAT(read_file(log_path), Not(HasSubstr("7777777777")));
    EXPECT_THAT(read_file(syslog_path()), Not(HasSubstr("7777777777")));
}

TEST_F(BadPamInputTest, HostileHostAndTtyReachTheAuditTableButNoTerminal) {
    const auto secret = enroll("alice");
    const std::string rhost = "\x1b]0;pwned\x07" "evil\nhost\xff\x9b" "2J";
    ASSERT_EQ(login_as("alice", {totp(secret)}, rhost).exit_code, 0);
    expect_logs_escaped();
    EXPECT_THAT(read_file(log_path), HasSubstr("rhost=\"\\x1b]0;pwned\\x07evil\\x0ahost\\xff\\x9b2J\""));

    const auto text = admin({"log"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_EQ(raw_byte(text.out), std::string::npos) << text.out;
    EXPECT_THAT(text.out, HasSubstr("?]0;pwned?evil?host??2J"));
    const auto doc = nlohmann::json::parse(admin_json({"log"}));
    std::string logged;
    for (const auto& e : doc["entries"])
        if (e["result"] == "KS0000") logged = e["rhost"].get<std::string>();
    EXPECT_THAT(logged, HasSubstr("\x1b]0;pwned\x07" "evil\nhost")) << doc.dump();  // JSON escapes it
}

}  // namespace
}  // namespace kotp::integration
