// The master key procedures the README documents: a backup of key + database restores every
// token, and a rotation (a new "ID HEX" line appended while otpd is stopped) seals new secrets
// under the new key while older ones still open.
#include <sys/stat.h>

#include <filesystem>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;

class MasterKeyTest : public OtpdFixture {
protected:
    std::string key_file() const { return state_dir + "/master.key"; }
    // What an admin types: a random 256-bit key in hex, from openssl.
    static std::string new_key_hex() {
        const auto r = run({"openssl", "rand", "-hex", "32"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out.substr(0, 64);
    }
};

TEST_F(MasterKeyTest, RotationSealsNewSecretsWithTheNewKeyAndOldOnesStillOpen) {
    const auto alice = enroll("alice");
    stop_otpd(SIGTERM);
    const auto before = read_file(key_file());
    write_file(key_file(), before + "2 " + new_key_hex() + "\n");
    ASSERT_EQ(::chmod(key_file().c_str(), 0600), 0);
    start_otpd();
    const auto bob = enroll("bob");
    EXPECT_EQ(login("alice", {totp(alice)}).exit_code, 0);
    EXPECT_EQ(login("bob", {totp(bob)}).exit_code, 0);

    // bob's secret is under key 2 only: with key 1 alone (the old file) it no longer opens,
    // and otpd says KS1010 instead of counting a failure against bob.
    stop_otpd(SIGTERM);
    write_file(key_file(), before);
    ASSERT_EQ(::chmod(key_file().c_str(), 0600), 0);
    start_otpd();
    const auto r = login("bob", {totp(bob, {"--totp", "-N", "now + 30 seconds"})});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.out + r.err, HasSubstr("KS1010"));
    EXPECT_EQ(json_field(admin_json({"show", "bob"}), "failures"), "0");
}

TEST_F(MasterKeyTest, BackupOfKeyAndDatabaseRestoresEveryToken) {
    const auto secret = enroll("alice");
    ASSERT_EQ(login("alice", {totp(secret)}).exit_code, 0);
    // Online backup of the database (sqlite3 .backup is safe while otpd writes), key copied apart.
    const auto backup = dir + "/backup";
    std::filesystem::create_directory(backup);
    const auto r = run({"sqlite3", state_dir + "/kotp.db", ".backup " + backup + "/kotp.db"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::filesystem::copy_file(key_file(), backup + "/master.key");

    stop_otpd(SIGTERM);
    std::filesystem::remove_all(state_dir);
    std::filesystem::create_directory(state_dir);
    std::filesystem::copy_file(backup + "/kotp.db", state_dir + "/kotp.db");
    std::filesystem::copy_file(backup + "/master.key", key_file());
    ASSERT_EQ(::chmod(key_file().c_str(), 0600), 0);
    start_otpd();
    EXPECT_EQ(login("alice", {totp(secret, {"--totp", "-N", "now + 30 seconds"})}).exit_code, 0);
}

}  // namespace
}  // namespace kotp::integration
