// Activation codes, device change, recovery codes and resync through kotp-admin, and kotp (the
// user's CLI) run as nobody, against a live otpd; codes come from oathtool. kotp enroll is driven
// here through plain pipes (not a terminal): it must work for scripts and `ssh host kotp enroll`
// as well as at a terminal (user_cli_tests.cpp drives it on a pty).
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <regex>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr uid_t kNobody = 65534;
const std::regex kRecoveryCode("[a-z2-7]{5}-[a-z2-7]{5}");

std::vector<std::string> all_matches(const std::string& text, const std::regex& pattern) {
    std::vector<std::string> found;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), pattern);
         it != std::sregex_iterator(); ++it)
        found.push_back(it->str());
    return found;
}

// "2026-11-21T09:00:00Z" as a Unix time; -1 if it is not that format.
std::int64_t parse_utc(const std::string& iso) {
    std::tm parts{};
    const char* end = ::strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &parts);
    if (end == nullptr || *end != '\0') return -1;
    return static_cast<std::int64_t>(::timegm(&parts));
}

// A program driven through plain pipes (stdin, stdout, stderr) as another user, pexpect-style:
// wait for text on stdout, then write a line to stdin.
class PipedProgram {
  public:
    PipedProgram(const std::vector<std::string>& argv, uid_t uid, gid_t gid) {
        int in[2], out[2], err[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
            ::pipe2(err, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe failed");
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(in[0], STDIN_FILENO);
            ::dup2(out[1], STDOUT_FILENO);
            ::dup2(err[1], STDERR_FILENO);
            if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
                ::_exit(126);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        ::close(err[1]);
        to_child_ = in[1];
        out_fd_ = out[0];
        err_fd_ = err[0];
    }
    ~PipedProgram() {
        close_input();
        for (int fd : {out_fd_, err_fd_})
            if (fd >= 0) ::close(fd);
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
    }
    PipedProgram(const PipedProgram&) = delete;
    PipedProgram& operator=(const PipedProgram&) = delete;

    // Reads stdout and stderr until stdout holds `needle` (counting from the last expect);
    // false on timeout or when the program closed its output first.
    bool expect(const std::string& needle,
                std::chrono::seconds timeout = std::chrono::seconds(10)) {
        const auto deadline = Clock::now() + timeout;
        while (out_.find(needle, searched_from_) == std::string::npos) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0 || !read_some(static_cast<int>(left.count()))) return false;
        }
        searched_from_ = out_.find(needle, searched_from_) + needle.size();
        return true;
    }
    void send_line(const std::string& line) {
        const std::string text = line + "\n";
        [[maybe_unused]] const auto n = ::write(to_child_, text.data(), text.size());
    }
    void close_input() {
        if (to_child_ >= 0) ::close(to_child_);
        to_child_ = -1;
    }
    // Reads the rest of the output, then the exit code (-1 if killed or not done in time).
    int wait(std::chrono::seconds timeout = std::chrono::seconds(10)) {
        const auto deadline = Clock::now() + timeout;
        while (out_fd_ >= 0 || err_fd_ >= 0) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0 || !read_some(static_cast<int>(left.count()))) break;
        }
        const int code = wait_exit(
            pid_, std::chrono::seconds(std::max<long>(
                      1, std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now())
                             .count())));
        pid_ = -1;
        return code;
    }
    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }
    std::string transcript() const {
        return "---- stdout ----\n" + out_ + "\n---- stderr ----\n" + err_;
    }

  private:
    // One poll over the open outputs; false when both are closed or nothing came in time.
    bool read_some(int timeout_ms) {
        std::vector<pollfd> fds;
        for (int fd : {out_fd_, err_fd_})
            if (fd >= 0) fds.push_back({fd, POLLIN, 0});
        if (fds.empty() || ::poll(fds.data(), fds.size(), timeout_ms) <= 0) return false;
        for (const pollfd& p : fds) {
            if (p.revents == 0) continue;
            char buf[4096];
            const ssize_t n = ::read(p.fd, buf, sizeof buf);
            const bool is_out = p.fd == out_fd_;
            if (n > 0) {
                (is_out ? out_ : err_).append(buf, static_cast<std::size_t>(n));
            } else {
                ::close(p.fd);
                (is_out ? out_fd_ : err_fd_) = -1;
            }
        }
        return true;
    }

    pid_t pid_ = -1;
    int to_child_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string out_;
    std::string err_;
    std::size_t searched_from_ = 0;
};

class EnrolmentCliTest : public OtpdFixture {
  protected:
    static RunOptions as_nobody(const std::string& stdin_text = {}) {
        RunOptions options;
        options.uid = kNobody;
        options.gid = kNobody;
        options.stdin_text = stdin_text;
        return options;
    }
    std::vector<std::string> kotp(const std::vector<std::string>& args) const {
        std::vector<std::string> argv = {program(KOTP_PATH), "--socket", socket_path};
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    }
    std::string code_ahead(const std::string& secret, int seconds) {
        return totp(secret, {"--totp", "-N", "now + " + std::to_string(seconds) + " seconds"});
    }
    std::vector<std::string> recovery_codes(const std::string& user) {
        const auto json = admin_json({"recovery", user});
        return all_matches(json, kRecoveryCode);
    }

    // `kotp enroll` as nobody through pipes, answered like a person: the activation code, then
    // the first code computed from the secret in the otpauth URI printed. Returns the secret.
    std::string enroll_nobody_through_pipes(std::string* transcript = nullptr) {
        const auto activation = json_field(admin_json({"issue", "nobody"}), "code");
        EXPECT_THAT(activation, MatchesRegex("[0-9]{6}"));
        PipedProgram kotp_enroll(kotp({"enroll"}), kNobody, kNobody);
        EXPECT_TRUE(kotp_enroll.expect("Activation code: ")) << kotp_enroll.transcript();
        kotp_enroll.send_line(activation);
        EXPECT_TRUE(kotp_enroll.expect("secret=")) << kotp_enroll.transcript();
        EXPECT_TRUE(kotp_enroll.expect("Verification code from your app: "))
            << kotp_enroll.transcript();
        std::smatch m;
        const std::string shown = kotp_enroll.out();
        EXPECT_TRUE(std::regex_search(
            shown, m, std::regex("otpauth://totp/[^?\\s]*nobody\\?secret=([A-Z2-7]+)")))
            << shown;
        const std::string secret = m.size() > 1 ? m[1].str() : std::string();
        EXPECT_THAT(shown, HasSubstr("Key string: "));
        EXPECT_THAT(shown, HasSubstr("\u2588")) << "the QR code, in UTF-8 blocks";
        EXPECT_EQ(shown.find('\x1b'), std::string::npos);
        kotp_enroll.send_line(totp(secret));
        kotp_enroll.close_input();
        EXPECT_EQ(kotp_enroll.wait(), 0) << kotp_enroll.transcript();
        EXPECT_THAT(kotp_enroll.out(), HasSubstr("is now active")) << kotp_enroll.transcript();
        if (transcript != nullptr) *transcript = kotp_enroll.out();
        return secret;
    }
};

// ---- kotp-admin issue ----

TEST_F(EnrolmentCliTest, IssueJsonGivesASixDigitCodeAndItsExpiry) {
    const auto before = std::time(nullptr);
    const auto json = admin_json({"issue", "alice"});
    EXPECT_EQ(json_field(json, "user"), "alice");
    EXPECT_THAT(json_field(json, "code"), MatchesRegex("[0-9]{6}")) << json;
    const auto expires = json_field(json, "expires");
    EXPECT_THAT(expires, MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"))
        << json;
    const auto when = parse_utc(expires);
    EXPECT_GE(when, before + 72 * 3600 - 5) << "72 h by default";
    EXPECT_LE(when, std::time(nullptr) + 72 * 3600 + 5);

    // show lists the pending activation until it is used.
    const auto show = admin_json({"show", "alice"});
    EXPECT_EQ(json_field(show, "activation_expires"), expires) << show;
    EXPECT_EQ(json_field(show, "recovery_left"), "0") << show;
}

TEST_F(EnrolmentCliTest, IssueForPeopleSaysUsableOnceAndValidDurationsAreChecked) {
    const auto r = admin({"issue", "alice", "--valid", "5m"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, testing::ContainsRegex("Activation code for alice: [0-9]{6}\n"));
    EXPECT_THAT(r.out, HasSubstr("usable once"));
    const auto show = admin({"show", "alice"});
    EXPECT_THAT(show.out, HasSubstr("activation code pending until ")) << show.out;
    for (const char* bad : {"0", "367d", "5x", "1.5h", ""}) {
        const auto refused = admin({"issue", "alice", "--valid", bad});
        EXPECT_EQ(refused.exit_code, 2) << bad;
        EXPECT_THAT(refused.err, HasSubstr("--valid")) << bad;
    }
}

TEST_F(EnrolmentCliTest, ActivationCodeValidTwoSecondsIsRefusedAfterThreeAsExpired) {
    const auto activation = json_field(admin_json({"issue", "alice", "--valid", "2s"}), "code");
    ASSERT_THAT(activation, MatchesRegex("[0-9]{6}"));
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const auto r = login("alice", {activation});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("KS1002"));
    EXPECT_THAT(r.out, HasSubstr("expired"));
}

// ---- kotp-admin recovery ----

TEST_F(EnrolmentCliTest, RecoveryCodeLogsInOnceAndANewSetVoidsTheOld) {
    enroll("alice");
    const auto json = admin_json({"recovery", "alice"});
    EXPECT_EQ(json_field(json, "user"), "alice") << json;
    const auto codes = all_matches(json, kRecoveryCode);
    ASSERT_EQ(codes.size(), 10u) << json;

    auto r = login("alice", {codes[0]});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    r = login("alice", {codes[0]});
    EXPECT_EQ(r.exit_code, 1) << "a recovery code works once";
    EXPECT_EQ(json_field(admin_json({"show", "alice"}), "recovery_left"), "9");

    // The human form lists ten codes, one per line; the earlier set no longer works.
    const auto human = admin({"recovery", "alice"});
    EXPECT_EQ(human.exit_code, 0) << human.err;
    std::istringstream lines(human.out);
    int code_lines = 0;
    for (std::string line; std::getline(lines, line);)
        if (std::regex_match(line, std::regex("  [a-z2-7]{5}-[a-z2-7]{5}"))) ++code_lines;
    EXPECT_EQ(code_lines, 10) << human.out;
    EXPECT_EQ(all_matches(human.out, kRecoveryCode).size(), 10u) << human.out;
    EXPECT_THAT(human.out, HasSubstr("replace any earlier set"));
    EXPECT_EQ(login("alice", {codes[1]}).exit_code, 1) << "the old set is void";
    EXPECT_EQ(login("alice", {all_matches(human.out, kRecoveryCode)[3]}).exit_code, 0);
}

TEST_F(EnrolmentCliTest, RecoveryForAnUnknownUserExitsFive) {
    const auto r = admin({"recovery", "ghost"});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_THAT(r.err, HasSubstr("KS1009"));
}

// ---- kotp-admin reset ----

TEST_F(EnrolmentCliTest, ResetRevokesTheTokenAndGivesANewActivationCode) {
    const auto secret = enroll("alice");
    ASSERT_EQ(login("alice", {totp(secret)}).exit_code, 0);
    const auto recovery = recovery_codes("alice");
    ASSERT_EQ(recovery.size(), 10u);

    const auto human = admin({"reset", "alice"});
    EXPECT_EQ(human.exit_code, 0) << human.err;
    EXPECT_THAT(human.out, HasSubstr("Revoked every token and every recovery code of alice"));
    EXPECT_THAT(human.out, testing::ContainsRegex("Activation code for alice: [0-9]{6}\n"));

    const auto json = admin_json({"reset", "alice", "--valid", "1h"});
    EXPECT_THAT(json_field(json, "code"), MatchesRegex("[0-9]{6}")) << json;
    EXPECT_GT(parse_utc(json_field(json, "expires")), std::time(nullptr) + 3500) << json;

    // The old token's next code and the old recovery codes no longer log in.
    const auto r = login("alice", {code_ahead(secret, 30)});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_THAT(r.out, HasSubstr("Activation code: ")) << "no token left: enrolment again";
    EXPECT_EQ(login("alice", {recovery[0]}).exit_code, 1);
    const auto show = admin_json({"show", "alice"});
    const auto tokens = show.find("\"tokens\"");
    ASSERT_NE(tokens, std::string::npos) << show;
    EXPECT_THAT(show.substr(tokens), Not(HasSubstr("\"active\"")))
        << "no token is active: " << show;
    EXPECT_EQ(json_field(show, "recovery_left"), "0") << show;
    EXPECT_EQ(json_field(show, "activation_expires"), json_field(json, "expires")) << show;
}

TEST_F(EnrolmentCliTest, ResetOfAnUnknownUserExitsFive) {
    const auto r = admin({"--json", "reset", "ghost"});
    EXPECT_EQ(r.exit_code, 5);
    EXPECT_EQ(json_field(r.out, "code"), "KS1009") << r.out;
}

// ---- kotp-admin resync ----

TEST_F(EnrolmentCliTest, ResyncWithTwoConsecutiveCodesFiveMinutesAhead) {
    const auto secret = enroll("alice");
    // 5 minutes ahead is outside the login window.
    EXPECT_EQ(login("alice", {code_ahead(secret, 300)}).exit_code, 1);

    const auto apart = admin({"resync", "alice", code_ahead(secret, 300), code_ahead(secret, 390)});
    EXPECT_EQ(apart.exit_code, 1) << "not consecutive";
    EXPECT_THAT(apart.err, HasSubstr("KS1003"));

    const auto r = admin({"resync", "alice", code_ahead(secret, 300), code_ahead(secret, 330)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("alice"));
    EXPECT_THAT(r.out, HasSubstr("drift"));
    // otpd follows the device's clock now.
    EXPECT_EQ(login("alice", {code_ahead(secret, 360)}).exit_code, 0);
}

TEST_F(EnrolmentCliTest, ResyncJsonAndBadCodes) {
    const auto secret = enroll("alice");
    const auto json =
        admin_json({"resync", "alice", code_ahead(secret, 0), code_ahead(secret, 30)});
    EXPECT_EQ(json_field(json, "ok"), "true") << json;
    EXPECT_EQ(json_field(json, "user"), "alice") << json;
    EXPECT_EQ(admin({"resync", "alice", "123456"}).exit_code, 2) << "two codes are needed";
    EXPECT_EQ(admin({"resync", "ghost", "123456", "654321"}).exit_code, 5);
}

// ---- kotp, the user's CLI ----

TEST_F(EnrolmentCliTest, KotpHelpExitsZero) {
    const auto r = run(kotp({"--help"}));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const char* word : {"status", "enroll", "--replace", "recovery"})
        EXPECT_THAT(r.out, HasSubstr(word));
}

TEST_F(EnrolmentCliTest, KotpStatusAsNobodyShowsOnlyNobody) {
    enroll("alice", {"--label", "alices-phone"});
    admin_json({"recovery", "alice"});
    enroll("nobody", {"--label", "nobodys-phone"});

    const auto human = run(kotp({"status"}), as_nobody());
    EXPECT_EQ(human.exit_code, 0) << human.err;
    EXPECT_THAT(human.out, HasSubstr("nobody"));
    EXPECT_THAT(human.out, HasSubstr("nobodys-phone"));
    EXPECT_THAT(human.out, Not(HasSubstr("alice")));

    const auto json = run(kotp({"--json", "status"}), as_nobody());
    EXPECT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(json_field(json.out, "user"), "nobody") << json.out;
    EXPECT_EQ(json_field(json.out, "recovery_left"), "0") << json.out;
    EXPECT_THAT(json.out, HasSubstr("nobodys-phone"));
    EXPECT_THAT(json.out, Not(HasSubstr("alice")));
}

TEST_F(EnrolmentCliTest, NobodyCannotGetAnythingAboutAlice) {
    enroll("alice", {"--label", "alices-phone"});
    // kotp has no way to name another user ...
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"status", "alice"},
                                               {"--user", "alice", "status"},
                                               {"enroll", "alice"},
                                               {"recovery", "alice"}}) {
        const auto r = run(kotp(args), as_nobody());
        EXPECT_EQ(r.exit_code, 2) << testing::PrintToString(args);
        EXPECT_THAT(r.out + r.err, Not(HasSubstr("alices-phone")));
    }
    // ... its status is nobody's own (not enrolled), with KOTP_SOCKET too ...
    RunOptions env = as_nobody();
    env.env = {"KOTP_SOCKET=" + socket_path, "USER=alice", "LOGNAME=alice"};
    const auto status = run({program(KOTP_PATH), "status"}, env);
    EXPECT_NE(status.exit_code, 0);
    EXPECT_THAT(status.err, HasSubstr("KS1001"));
    EXPECT_THAT(status.out + status.err, Not(HasSubstr("alice")));
    // ... and kotp-admin is refused to nobody.
    const auto show = admin({"show", "alice"}, as_nobody());
    EXPECT_EQ(show.exit_code, 4);
    EXPECT_THAT(show.out, Not(HasSubstr("alices-phone")));
}

TEST_F(EnrolmentCliTest, KotpEnrollAsNobodyThroughPipes) {
    std::string transcript;
    const auto secret = enroll_nobody_through_pipes(&transcript);
    ASSERT_FALSE(secret.empty());
    EXPECT_EQ(all_matches(transcript, kRecoveryCode).size(), 10u) << transcript;

    const auto show = admin_json({"show", "nobody"});
    EXPECT_THAT(show, HasSubstr("\"active\"")) << show;
    EXPECT_EQ(json_field(show, "recovery_left"), "10") << show;
    EXPECT_EQ(json_field(show, "activation_expires"), "null") << "the activation code is used up";

    const auto status = run(kotp({"--json", "status"}), as_nobody());
    EXPECT_EQ(status.exit_code, 0) << status.err;
    EXPECT_EQ(json_field(status.out, "recovery_left"), "10") << status.out;

    // The new token logs in; one of the recovery codes shown does too.
    EXPECT_EQ(login("nobody", {code_ahead(secret, 30)}).exit_code, 0);
    EXPECT_EQ(login("nobody", {all_matches(transcript, kRecoveryCode)[5]}).exit_code, 0);
}

TEST_F(EnrolmentCliTest, KotpRecoveryAsNobodyThroughPipesVoidsTheEnrolmentSet) {
    std::string transcript;
    const auto secret = enroll_nobody_through_pipes(&transcript);
    const auto first_set = all_matches(transcript, kRecoveryCode);
    ASSERT_EQ(first_set.size(), 10u);

    PipedProgram recovery(kotp({"recovery"}), kNobody, kNobody);
    ASSERT_TRUE(recovery.expect("Current verification code: ")) << recovery.transcript();
    recovery.send_line(code_ahead(secret, 30));  // the enrolment's code was used
    recovery.close_input();
    EXPECT_EQ(recovery.wait(), 0) << recovery.transcript();
    const auto new_set = all_matches(recovery.out(), kRecoveryCode);
    ASSERT_EQ(new_set.size(), 10u) << recovery.transcript();
    EXPECT_EQ(login("nobody", {first_set[0]}).exit_code, 1) << "the enrolment's set is void";
    EXPECT_EQ(login("nobody", {new_set[0]}).exit_code, 0);
}

TEST_F(EnrolmentCliTest, KotpEnrollWithAWrongActivationCodeIsRefused) {
    const auto activation = json_field(admin_json({"issue", "nobody"}), "code");
    const std::string wrong = activation == "000000" ? "111111" : "000000";
    const auto r = run(kotp({"enroll"}), as_nobody(wrong + "\n"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("Activation code: "));
    EXPECT_THAT(r.err, HasSubstr("KS1002"));
    EXPECT_EQ(json_field(admin_json({"show", "nobody"}), "failures"), "1");
}

TEST_F(EnrolmentCliTest, KotpEnrollWithoutAnActivationCodeOrInput) {
    auto r = run(kotp({"enroll"}), as_nobody("123456\n"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("KS1001"));

    admin_json({"issue", "nobody"});
    r = run(kotp({"enroll"}), as_nobody(""));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("end of input"));
    EXPECT_EQ(json_field(admin_json({"show", "nobody"}), "failures"), "0") << "nothing was tried";
}

}  // namespace
}  // namespace kotp::integration
