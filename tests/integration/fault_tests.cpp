// Faults under a real otpd and real PAM logins: the database's file system full or made
// read-only, an audit row that cannot be written, a missing or unreadable master key, a damaged
// database file. The rule each test checks: otpd never answers "success" for what it cannot
// record, the user sees KS1010's text, nothing stored before is lost, and once the fault is gone
// logins work again without restarting otpd.
//
// The file systems are real: a tmpfs (full) or an ext4 image on a loop device (read-only), mounted
// in a private mount namespace of otpd's (unshare -m) and changed from outside with nsenter. Linux
// refuses "mount -o remount,ro" while a process has a file open for writing (EBUSY), and otpd
// keeps its database open, so the read-only fault is the one that happens to a running service:
// ext4 with errors=remount-ro hits an error (trigger_fs_error) and goes read-only under it; the
// administrator then unmounts, runs e2fsck and mounts it again while otpd keeps running.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The text every user sees for KS1010 (common/src/status.cpp).
constexpr const char* kUnavailableText = "KS1010: The OTP service could not read or record its state.";

// A launcher script that mounts `$MOUNT` (a mount command with "$s" for otpd's --state-dir) in
// otpd's own mount namespace, then runs otpd.
std::vector<std::string> launcher(const std::string& mount) {
    return {"unshare", "--mount", "--propagation", "private", "sh", "-c",
            "for a; do [ \"$prev\" = --state-dir ] && s=$a; prev=$a; done; " + mount + " && exec \"$@\"", "sh"};
}

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
    return n;
}

std::string wrong_code(const std::string& code) {
    std::string wrong = code;
    wrong[0] = static_cast<char>('0' + (code[0] - '0' + 5) % 10);
    return wrong;
}

class FaultTest : public OtpdFixture {
protected:
    // A command inside otpd's mount namespace, where its state directory is mounted.
    RunResult inside(std::vector<std::string> argv) {
        argv.insert(argv.begin(), {"nsenter", "--target", std::to_string(otpd_pid), "--mount", "--"});
        return run(argv);
    }
    std::string db() const { return state_dir + "/kotp.db"; }
    std::string failures(const std::string& user) { return json_field(admin_json({"show", user}), "failures"); }
    // otpd run by hand, for starts that must fail: its exit code and what it said.
    RunResult run_otpd(const std::vector<std::string>& prefix = {}) {
        std::vector<std::string> argv = prefix;
        argv.insert(argv.end(), {OTPD_PATH, "--allow-root", "--config", config_path, "--socket", socket_path,
                                 "--state-dir", state_dir});
        RunOptions options;
        options.timeout = std::chrono::seconds(20);
        return run(argv, options);
    }
    static std::string sha256(const std::string& path) {
        const auto r = run({"sha256sum", path});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out.substr(0, 64);
    }
};

// ---- the file system fills up ----------------------------------------------------------------

class DiskFullTest : public FaultTest {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root: mounts a tmpfs in otpd's mount namespace";
        otpd_launcher = launcher("mkdir -p \"$s\" && mount -t tmpfs -o size=4m,mode=0700 tmpfs \"$s\"");
        OtpdFixture::SetUp();
    }
    void fill_disk() {
        // dd stops at ENOSPC with an error: that is the point.
        inside({"dd", "if=/dev/zero", "of=" + state_dir + "/filler", "bs=4k"});
        const auto df = inside({"sh", "-c", "touch \"$0\"/probe && head -c 8192 /dev/zero > \"$0\"/probe", state_dir});
        ASSERT_NE(df.exit_code, 0) << "the tmpfs is not full";
        ASSERT_THAT(df.err, HasSubstr("No space left on device"));
    }
};

TEST_F(DiskFullTest, RightCodeIsRefusedUnrecordedAndWorksOnceSpaceIsBack) {
    const auto secret = enroll("alice");
    const auto used = totp(secret);
    ASSERT_EQ(login("alice", {used}).exit_code, 0);
    ASSERT_EQ(login("alice", {wrong_code(used)}).exit_code, 1);
    ASSERT_EQ(failures("alice"), "1");

    fill_disk();
    const auto fresh = totp(secret, {"--totp", "-N", "now + 30 seconds"});
    const auto refused = login("alice", {fresh});
    EXPECT_EQ(refused.exit_code, 1) << refused.out;
    EXPECT_THAT(refused.out, HasSubstr(kUnavailableText));
    EXPECT_THAT(refused.out, HasSubstr("RESULT: Authentication service cannot retrieve authentication info"));
    // A wrong code gets the same answer: the outage is no oracle for guesses.
    const auto guess = login("alice", {wrong_code(fresh)});
    EXPECT_EQ(guess.exit_code, 1);
    EXPECT_THAT(guess.out, HasSubstr("KS1010"));
    EXPECT_THAT(guess.out, Not(HasSubstr("KS1003")));
    // One error line for the outage, not one per request.
    const auto during = read_file(log_path);
    EXPECT_EQ(count(during, "KS1010 storage failure"), 1u) << during;
    EXPECT_THAT(during, HasSubstr("full"));

    ASSERT_EQ(inside({"rm", state_dir + "/filler"}).exit_code, 0);
    EXPECT_EQ(failures("alice"), "1");                 // neither lost nor counted twice
    EXPECT_EQ(login("alice", {fresh}).exit_code, 0);  // the refused code was not consumed...
    const auto again = login("alice", {fresh});
    EXPECT_EQ(again.exit_code, 1);  // ...and works once only
    EXPECT_THAT(again.out, HasSubstr("KS1004"));
    EXPECT_THAT(login("alice", {used}).out, HasSubstr("KS1004"));  // codes used before stay used
    EXPECT_EQ(failures("alice"), "0");
    EXPECT_THAT(read_file(log_path), HasSubstr("KS1010 storage works again after"));
    const auto check = inside({"sqlite3", db(), "PRAGMA integrity_check"});
    EXPECT_EQ(check.out, "ok\n") << check.err;
}

// ---- the file system goes read-only ----------------------------------------------------------

class ReadOnlyTest : public FaultTest {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root: mounts an ext4 image in otpd's mount namespace";
        if (run({"losetup", "--find"}).exit_code != 0 || run({"mkfs.ext4", "-V"}).exit_code != 0)
            GTEST_SKIP() << "needs loop devices (losetup --find failed) and mkfs.ext4 for a real ext4 file system";
        otpd_launcher = launcher(
            "truncate -s 16M \"$s.img\" && mkfs.ext4 -q -F \"$s.img\" && mkdir -p \"$s\" && "
            "mount -o loop,errors=remount-ro \"$s.img\" \"$s\" && chmod 700 \"$s\"");
        OtpdFixture::SetUp();
    }
    std::string image() const { return state_dir + ".img"; }
    // What the kernel does on a metadata error with errors=remount-ro: the file system turns
    // read-only under the running otpd.
    void make_read_only() {
        const auto source = inside({"findmnt", "--noheadings", "--output", "SOURCE", state_dir});
        ASSERT_EQ(source.exit_code, 0) << source.err;
        const auto device = std::filesystem::path(source.out.substr(0, source.out.find('\n'))).filename().string();
        write_file("/sys/fs/ext4/" + device + "/trigger_fs_error", "kotp fault test\n");
        const auto probe = inside({"touch", state_dir + "/probe"});
        ASSERT_NE(probe.exit_code, 0);
        ASSERT_THAT(probe.err, HasSubstr("Read-only file system"));
    }
    // What the administrator does: unmount (otpd holds nothing open on it), repair, mount again.
    void repair() {
        const auto umount = inside({"umount", state_dir});
        ASSERT_EQ(umount.exit_code, 0) << "otpd still holds the broken file system: " << umount.err;
        const auto fsck = run({"e2fsck", "-f", "-y", image()});
        ASSERT_LE(fsck.exit_code, 1) << fsck.out << fsck.err;  // 1: errors corrected
        const auto mount = inside({"mount", "-o", "loop,errors=remount-ro", image(), state_dir});
        ASSERT_EQ(mount.exit_code, 0) << mount.err;
    }
};

TEST_F(ReadOnlyTest, RightCodeIsRefusedUnrecordedAndWorksAfterRepairWithoutRestart) {
    const auto secret = enroll("alice");
    const auto bob = enroll("bob");
    const auto used = totp(secret);
    ASSERT_EQ(login("alice", {used}).exit_code, 0);
    ASSERT_EQ(login("alice", {wrong_code(used)}).exit_code, 1);
    ASSERT_EQ(failures("alice"), "1");
    const pid_t pid = otpd_pid;

    make_read_only();
    const auto fresh = totp(secret, {"--totp", "-N", "now + 30 seconds"});
    const auto refused = login("alice", {fresh});
    EXPECT_EQ(refused.exit_code, 1) << refused.out;
    EXPECT_THAT(refused.out, HasSubstr(kUnavailableText));
    const auto second = login("alice", {fresh});
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_THAT(second.out, HasSubstr(kUnavailableText));
    const auto other = login("bob", {totp(bob)});
    EXPECT_EQ(other.exit_code, 1);
    EXPECT_THAT(other.out, HasSubstr(kUnavailableText));
    const auto during = read_file(log_path);
    EXPECT_EQ(count(during, "KS1010 storage failure"), 1u) << during;

    repair();
    EXPECT_EQ(otpd_pid, pid);
    EXPECT_EQ(::kill(otpd_pid, 0), 0) << "otpd is no longer running";
    EXPECT_EQ(failures("alice"), "1");
    EXPECT_EQ(login("alice", {fresh}).exit_code, 0);  // not consumed by the refusal...
    EXPECT_THAT(login("alice", {fresh}).out, HasSubstr("KS1004"));  // ...and good once only
    EXPECT_THAT(login("alice", {used}).out, HasSubstr("KS1004"));
    EXPECT_EQ(login("bob", {totp(bob)}).exit_code, 0);
    EXPECT_EQ(failures("alice"), "0");
    EXPECT_THAT(read_file(log_path), HasSubstr("KS1010 storage works again after"));
    const auto check = inside({"sqlite3", db(), "PRAGMA integrity_check"});
    EXPECT_EQ(check.out, "ok\n") << check.err;
}

// ---- the audit row cannot be written ---------------------------------------------------------

TEST_F(FaultTest, LoginFailsClosedWhenItsAuditRowCannotBeWritten) {
    const auto secret = enroll("alice");
    // A trigger that refuses every audit row, added while otpd runs.
    auto r = run({"sqlite3", db(),
                  "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'no audit'); END;"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto code = totp(secret);
    const auto refused = login("alice", {code});
    EXPECT_EQ(refused.exit_code, 1) << refused.out;
    EXPECT_THAT(refused.out, HasSubstr(kUnavailableText));
    EXPECT_THAT(read_file(log_path), HasSubstr("no audit"));

    r = run({"sqlite3", db(), "DROP TRIGGER refuse_audit;"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(login("alice", {code}).exit_code, 0);  // nothing of the refused login was kept
    EXPECT_THAT(login("alice", {code}).out, HasSubstr("KS1004"));
}

// ---- the master key --------------------------------------------------------------------------

TEST_F(FaultTest, MissingMasterKeyNextToADatabaseStopsTheStartAndNoNewKeyIsMade) {
    const auto secret = enroll("alice");
    stop_otpd(SIGTERM);
    const auto key = state_dir + "/master.key";
    const auto saved = read_file(key);
    ASSERT_EQ(::unlink(key.c_str()), 0);
    const auto before = sha256(db());

    const auto r = run_otpd();
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("master key file " + key + " is missing but database " + db() + " exists"));
    EXPECT_FALSE(std::filesystem::exists(key)) << "otpd made a new key next to the old database";
    EXPECT_EQ(sha256(db()), before);

    write_file(key, saved);  // the backup
    ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
    start_otpd();
    EXPECT_EQ(login("alice", {totp(secret)}).exit_code, 0);
}

TEST_F(FaultTest, UnreadableMasterKeyStopsTheStartWithItsReason) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop CAP_DAC_OVERRIDE with setpriv";
    enroll("alice");
    stop_otpd(SIGTERM);
    const auto key = state_dir + "/master.key";
    ASSERT_EQ(::chmod(key.c_str(), 0), 0);
    // Root without the capabilities that ignore file modes: the key is as unreadable to it as to
    // an otpd user whose key file lost its read bit.
    const auto r = run_otpd({"setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("cannot open master key file " + key + ": Permission denied"));
}

TEST_F(FaultTest, KeyFileRemovedOrUnreadableWhileRunningChangesNothingUntilTheNextStart) {
    const auto alice = enroll("alice");
    const auto key = state_dir + "/master.key";
    const auto saved = read_file(key);
    ASSERT_EQ(::chmod(key.c_str(), 0), 0);
    EXPECT_EQ(login("alice", {totp(alice)}).exit_code, 0);  // the keys were read at start
    ASSERT_EQ(::unlink(key.c_str()), 0);
    const auto bob = enroll("bob");
    EXPECT_EQ(login("bob", {totp(bob)}).exit_code, 0);

    stop_otpd(SIGTERM);
    const auto r = run_otpd();
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("is missing but database"));
    write_file(key, saved);
    ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
    start_otpd();
    // bob's secret was sealed with the key otpd held, which is the one restored.
    EXPECT_EQ(login("bob", {totp(bob, {"--totp", "-N", "now + 30 seconds"})}).exit_code, 0);
}

// ---- the database file is damaged ------------------------------------------------------------

class DamagedDatabaseTest : public FaultTest, public ::testing::WithParamInterface<int> {};

TEST_P(DamagedDatabaseTest, OtpdRefusesToStartAndLeavesTheFileAsItWas) {
    const auto secret = enroll("alice");
    enroll("bob");
    ASSERT_EQ(login("alice", {totp(secret)}).exit_code, 0);
    stop_otpd(SIGTERM);  // a clean stop folds the WAL into the file
    ASSERT_FALSE(std::filesystem::exists(db() + "-wal"));
    const auto size = std::filesystem::file_size(db());
    const int first_page = GetParam();
    ASSERT_GT(size, 4096u * static_cast<unsigned>(first_page + 3));
    // Three pages of garbage, written over the file in place.
    const auto dd = run({"dd", "if=/dev/urandom", "of=" + db(), "bs=4096", "seek=" + std::to_string(first_page),
                         "count=3", "conv=notrunc"});
    ASSERT_EQ(dd.exit_code, 0) << dd.err;
    const auto damaged = sha256(db());

    const auto r = run_otpd();
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(db()));
    EXPECT_THAT(r.err, testing::AnyOf(HasSubstr("is damaged"), HasSubstr("not a database"), HasSubstr("malformed")));
    EXPECT_EQ(sha256(db()), damaged) << "otpd changed the damaged file";
    EXPECT_EQ(std::filesystem::file_size(db()), size);
}

// Page 0 holds the header and the schema; pages 1.. the tables and indexes.
INSTANTIATE_TEST_SUITE_P(Pages, DamagedDatabaseTest, ::testing::Values(0, 1, 4));

}  // namespace
}  // namespace kotp::integration
