// Config parsing, the master key file, sealed secrets and the SQLite schema.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "config.hpp"
#include "fixture.hpp"
#include "sqlite_schema.hpp"

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
    EXPECT_EQ(store->schema_version(), 5);
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

// A state of schema version 4 (users and tokens with rowids) keeps every row and every id
// through the migration to 5 (users and tokens without rowids), and its foreign keys hold.
TEST_F(SchemaTest, AVersion4StateKeepsEveryRowAndIdThroughTheMigration) {
    const std::string path = dir.path() + "/v4.db";
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        const auto migrations = sqlite_migrations();
        ASSERT_GE(migrations.size(), 5U);
        std::string sql;
        for (std::size_t v = 0; v < 4; ++v) sql += migrations[v];
        sql += R"sql(
            PRAGMA user_version=4;
            INSERT INTO users (id, name, failures, created) VALUES (7, 'bob', 2, 100), (3, 'alice', 0, 100);
            INSERT INTO tokens (id, user_id, type, algorithm, digits, period, state, sealed_secret, counter, created)
                VALUES (12, 7, 1, 0, 6, 30, 1, x'01', 5, 100), (4, 3, 0, 0, 6, 30, 1, x'02', 0, 100),
                       (9, 3, 0, 0, 8, 30, 0, x'03', 0, 100);
            INSERT INTO activation_codes (user_id, salt, hash, expires, created) VALUES (7, x'00', x'00', 999, 100);
            INSERT INTO grace (user_id, rhost, until) VALUES (7, 'node1', 999);
            WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 3099)
            INSERT INTO users (id, name, created) SELECT i, 'user' || i, 100 FROM n;
        )sql";
        ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        sqlite3_close(db);
    }
    SqliteStore migrated(path);
    EXPECT_EQ(migrated.schema_version(), 5);
    // The rebuilt tables (3,002 users: dozens of pages) were copied out of the log at the start:
    // what is left there is the start's own probe write.
    EXPECT_LT(std::filesystem::file_size(path + "-wal"), 8U * (24 + 4096));
    Transaction txn(migrated);
    const auto bob = migrated.find_user("bob");
    ASSERT_TRUE(bob);
    EXPECT_EQ(bob->id, 7);
    EXPECT_EQ(bob->failures, 2U);
    EXPECT_EQ(migrated.find_user("alice")->id, 3);
    const auto bobs = migrated.tokens_of(7);
    ASSERT_EQ(bobs.size(), 1U);
    EXPECT_EQ(bobs[0].id, 12);
    EXPECT_EQ(bobs[0].counter, 5U);
    EXPECT_EQ(bobs[0].sealed_secret, std::vector<std::uint8_t>{1});
    EXPECT_TRUE(migrated.find_activation(7));
    EXPECT_EQ(migrated.grace_until(7, "node1"), 999);
    const auto alices = migrated.tokens_of(3);
    ASSERT_EQ(alices.size(), 2U);
    EXPECT_EQ(alices[0].id, 4);
    EXPECT_EQ(alices[1].id, 9);
    EXPECT_EQ(alices[1].digits, 8U);
    // New rows get the next id after the largest, as rowids did.
    UserRecord carol;
    carol.name = "carol";
    carol.created = 200;
    EXPECT_EQ(migrated.insert_user(carol), 3100);
    TokenRecord token;
    token.user_id = 3100;
    token.sealed_secret = {4};
    EXPECT_EQ(migrated.insert_token(token), 13);
    // An update finds the row by its key (users by name, tokens by user).
    auto carols = migrated.tokens_of(3100);
    ASSERT_EQ(carols.size(), 1U);
    carols[0].counter = 42;
    migrated.update_token(carols[0]);
    EXPECT_EQ(migrated.tokens_of(3100)[0].counter, 42U);
    auto b = *bob;
    b.failures = 0;
    migrated.update_user(b);
    EXPECT_EQ(migrated.find_user("bob")->failures, 0U);
    // Foreign keys are on again: removing a user takes its tokens, grace and activation code.
    migrated.delete_user(7);
    EXPECT_TRUE(migrated.tokens_of(7).empty());
    EXPECT_FALSE(migrated.find_activation(7));
    EXPECT_EQ(migrated.grace_until(7, "node1"), 0);
    txn.commit();
}

}  // namespace
}  // namespace kotp::otpd::testing
