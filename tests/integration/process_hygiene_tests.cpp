// What otpd drops at start: root (unless --allow-root), inherited descriptors, core dumps and a
// permissive umask. Each test looks at the running otpd from outside, through /proc.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;

class ProcessHygieneTest : public OtpdFixture {
protected:
    // The line "Name:\tvalue" of /proc/PID/status.
    std::string status_field(const std::string& name) const {
        std::ifstream in("/proc/" + std::to_string(otpd_pid) + "/status");
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind(name + ":", 0) == 0) return line.substr(name.size() + 2);
        }
        return "";
    }
};

TEST_F(ProcessHygieneTest, RefusesToRunAsRootUnlessAllowed) {
    // As root here, or as root of a fresh user namespace when the tests run unprivileged.
    std::vector<std::string> argv;
    if (::geteuid() != 0) {
        if (run({"unshare", "-U", "-r", "true"}).exit_code != 0) GTEST_SKIP() << "no user namespaces here";
        argv = {"unshare", "-U", "-r"};
    }
    argv.insert(argv.end(), {OTPD_PATH, "--config", config_path, "--socket", dir + "/root.sock", "--state-dir",
                             dir + "/root-state"});
    const auto r = run(argv);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.err, HasSubstr("otpd refuses to run as root"));
    EXPECT_THAT(r.err, HasSubstr("--allow-root"));
    EXPECT_FALSE(std::filesystem::exists(dir + "/root-state")) << "it opened its state before refusing";
}

TEST_F(ProcessHygieneTest, ClosesDescriptorsItInherits) {
    stop_otpd(SIGTERM);
    const auto leaked = dir + "/leaked-secret-file";
    write_file(leaked, "a file the parent forgot to close\n");
    const int fd = ::open(leaked.c_str(), O_RDONLY);  // no O_CLOEXEC: the child inherits it
    ASSERT_GE(fd, 3);
    start_otpd();
    ::close(fd);
    EXPECT_THAT(read_file(log_path), HasSubstr("inherited file descriptor(s)"));
    std::size_t open_count = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(otpd_pid) + "/fd")) {
        ++open_count;
        std::error_code ec;
        EXPECT_NE(std::filesystem::read_symlink(e.path(), ec).string(), leaked);
    }
    EXPECT_GT(open_count, 3u);
}

TEST_F(ProcessHygieneTest, HasNoCoreLimitAndUmask077) {
    EXPECT_EQ(status_field("Umask"), "0077");
    std::ifstream limits("/proc/" + std::to_string(otpd_pid) + "/limits");
    std::string line, core;
    while (std::getline(limits, line)) {
        if (line.rfind("Max core file size", 0) == 0) core = line;
    }
    EXPECT_THAT(core, ::testing::MatchesRegex("Max core file size +0 +0 +bytes *"));
}

// A process that cleared PR_SET_DUMPABLE cannot be read (environ, mem) or traced by other
// processes of its own user; a dumpable one can (the control at the start).
TEST_F(ProcessHygieneTest, OtherProcessesOfItsUserCannotReadIt) {
    if (::geteuid() != 0) {
        const auto control = spawn({"sleep", "30"}, dir + "/sleep.log");
        ::usleep(100000);
        EXPECT_EQ(run({"cat", "/proc/" + std::to_string(control) + "/environ"}).exit_code, 0);
        ::kill(control, SIGKILL);
        wait_exit(control, std::chrono::seconds(5));
        EXPECT_NE(run({"cat", "/proc/" + std::to_string(otpd_pid) + "/environ"}).exit_code, 0);
        return;
    }
    const std::vector<std::string> as_nobody = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
    auto read_environ_as_nobody = [&](pid_t pid) {
        auto argv = as_nobody;
        argv.insert(argv.end(), {"cat", "/proc/" + std::to_string(pid) + "/environ"});
        return run(argv).exit_code;
    };
    auto control_argv = as_nobody;
    control_argv.insert(control_argv.end(), {"sleep", "30"});
    const pid_t control = spawn(control_argv, dir + "/sleep.log");
    ::usleep(100000);
    EXPECT_EQ(read_environ_as_nobody(control), 0) << "the control: a dumpable process of nobody";
    ::kill(control, SIGKILL);
    wait_exit(control, std::chrono::seconds(5));

    stop_otpd(SIGTERM);
    // The state folder and socket folder for nobody, the way otpd.service runs it as _otpd.
    ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
    const auto otpd_copy = program(OTPD_PATH);
    std::vector<std::string> argv = as_nobody;
    argv.insert(argv.end(), {otpd_copy, "--config", config_path, "--socket", dir + "/nobody.sock", "--state-dir",
                             dir + "/nobody-state"});
    const pid_t pid = spawn(argv, log_path);
    for (int i = 0; i < 500 && !std::filesystem::exists(dir + "/nobody.sock"); ++i) ::usleep(10000);
    ASSERT_TRUE(std::filesystem::exists(dir + "/nobody.sock")) << read_file(log_path);
    EXPECT_NE(read_environ_as_nobody(pid), 0) << "nobody could read the environment of its otpd";
    struct stat db {};
    ASSERT_EQ(::stat((dir + "/nobody-state/kotp.db").c_str(), &db), 0);
    EXPECT_EQ(db.st_mode & 0777, 0600u);
    EXPECT_EQ(db.st_uid, 65534u);
    ::kill(pid, SIGTERM);
    EXPECT_EQ(wait_exit(pid, std::chrono::seconds(10)), 0);
}

}  // namespace
}  // namespace kotp::integration
