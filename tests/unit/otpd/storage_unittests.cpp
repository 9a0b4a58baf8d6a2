// Config parsing, the master key file, sealed secrets and the SQLite schema.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "config.hpp"
#include "fixture.hpp"

namespace kotp::otpd::testing {
namespace {

TEST(ConfigTest, ParsesKeysCommentsAndQuotedValues) {
    Config c;
    const auto error = parse_config(
        "# site settings\n\nlockout_threshold = 3\nlockout_duration = 15m\nprompt = \"OTP: \"\n"
        "  window=2  \nissuer = HPC Cluster\n",
        "otpd.conf", c);
    ASSERT_FALSE(error) << error->message;
    EXPECT_EQ(c.lockout_threshold, 3u);
    EXPECT_EQ(c.lockout_duration.count(), 900);
    EXPECT_EQ(c.prompt, "OTP: ");
    EXPECT_EQ(c.window, 2u);
    EXPECT_EQ(c.issuer, "HPC Cluster");
}

TEST(ConfigTest, ErrorsNameTheFileLineAndProblem) {
    const std::pair<const char*, const char*> cases[] = {
        {"lockout_treshold = 5\n", "otpd.conf:1: unknown key 'lockout_treshold'"},
        {"\nwindow = many\n", "otpd.conf:2: window must be a whole number"},
        {"lockout_threshold = 0\n", "otpd.conf:1: lockout_threshold must be a whole number from 1"},
        {"socket = relative/path\n", "otpd.conf:1: socket must be an absolute path"},
        {"window = 1\nwindow = 2\n", "otpd.conf:2: key 'window' is set twice"},
        {"just some words\n", "otpd.conf:1: expected 'key = value'"},
        {"io_timeout = 5 parsecs\n", "otpd.conf:1: io_timeout must be a duration"},
    };
    for (const auto& [text, expected] : cases) {
        Config c;
        const auto error = parse_config(text, "otpd.conf", c);
        ASSERT_TRUE(error) << text;
        EXPECT_EQ(error->message.rfind(expected, 0), 0u) << error->message;
    }
}

TEST(ConfigTest, Durations) {
    EXPECT_EQ(parse_duration("72h")->count(), 72 * 3600);
    EXPECT_EQ(parse_duration("30m")->count(), 1800);
    EXPECT_EQ(parse_duration("2s")->count(), 2);
    EXPECT_EQ(parse_duration("2d")->count(), 172800);
    EXPECT_EQ(parse_duration("45")->count(), 45);
    for (const char* bad : {"", "h", "-5m", "5w", "1.5h", "99999999999999999d"}) EXPECT_FALSE(parse_duration(bad)) << bad;
}

TEST(ConfigTest, MissingOptionalFileIsFineMissingRequiredFileIsNot) {
    Config c;
    EXPECT_FALSE(load_config_file("/nonexistent/otpd.conf", false, c));
    const auto error = load_config_file("/nonexistent/otpd.conf", true, c);
    ASSERT_TRUE(error);
    EXPECT_NE(error->message.find("/nonexistent/otpd.conf"), std::string::npos);
}

class MasterKeyTest : public ::testing::Test {
protected:
    TempDir dir;
    OsRandom random;
    std::string path() const { return dir.path() + "/master.key"; }
};

TEST_F(MasterKeyTest, CreatedWithMode0600AndReloadedIdentically) {
    std::string error;
    const auto first = load_or_create_master_keys(path(), random, error);
    ASSERT_TRUE(first) << error;
    struct stat st {};
    ASSERT_EQ(::stat(path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const auto second = load_or_create_master_keys(path(), random, error);
    ASSERT_TRUE(second) << error;
    EXPECT_EQ(*first->find(1), *second->find(1));
}

TEST_F(MasterKeyTest, RefusesAKeyFileOthersCanRead) {
    std::string error;
    ASSERT_TRUE(load_or_create_master_keys(path(), random, error));
    ::chmod(path().c_str(), 0644);
    EXPECT_FALSE(load_or_create_master_keys(path(), random, error));
    EXPECT_NE(error.find("chmod 600"), std::string::npos) << error;
}

TEST_F(MasterKeyTest, RefusesMalformedKeyFiles) {
    for (const char* text : {"", "1 abcd\n", "0 " /*id 0*/, "x 00\n"}) {
        ::unlink(path().c_str());
        {
            std::ofstream f(path());
            f << text;
        }
        ::chmod(path().c_str(), 0600);
        std::string error;
        EXPECT_FALSE(load_or_create_master_keys(path(), random, error)) << text;
        EXPECT_FALSE(error.empty());
    }
}

class SecretBoxTest : public MasterKeyTest {};

TEST_F(SecretBoxTest, SealsAndOpensBoundToItsOwner) {
    std::string error;
    const auto keys = load_or_create_master_keys(path(), random, error);
    ASSERT_TRUE(keys);
    SecretBox box(*keys, random);
    const std::vector<std::uint8_t> secret = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    auto sealed = box.seal(secret, "alice");
    ASSERT_TRUE(sealed);
    EXPECT_EQ(SecretBox::key_id_of(*sealed), 1u);
    EXPECT_EQ(box.open(*sealed, "alice"), secret);
    EXPECT_FALSE(box.open(*sealed, "mallory"));
    (*sealed)[20] ^= 1;
    EXPECT_FALSE(box.open(*sealed, "alice"));
    EXPECT_FALSE(box.open(std::vector<std::uint8_t>(8, 0), "alice"));
}

class SchemaTest : public OtpdCore {};

TEST_F(SchemaTest, MigratedToTheLatestVersionAndNoSecretInTheStateFolder) {
    EXPECT_EQ(store->schema_version(), 4);
    const auto e = enroll("alice");
    store.reset();  // checkpoint and close
    std::string all;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        if (entry.path().filename() == "master.key") continue;
        std::ifstream f(entry.path(), std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        all += ss.str();
    }
    EXPECT_EQ(all.find(e.secret_b32), std::string::npos);
    EXPECT_EQ(all.find(std::string(e.secret.begin(), e.secret.end())), std::string::npos);
    EXPECT_NE(all.find("alice"), std::string::npos);  // the file was really read
}

}  // namespace
}  // namespace kotp::otpd::testing
