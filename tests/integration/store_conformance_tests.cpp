// The two stores give the same answers: every Store call is made on SQLite and on a real
// PostgreSQL (started by the test) in the same order, and each answer is compared. SQLite is the
// reference the rest of the suite already proves; a difference is a PostgreSQL bug.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "pg_store.hpp"
#include "postgres_server.hpp"
#include "process.hpp"
#include "secret_box.hpp"
#include "sqlite_store.hpp"
#include "store_open.hpp"

namespace kotp::otpd {

// Equality of the records, for the comparisons only (static: this file's own). Outside the
// anonymous namespace, so that std::optional's and std::vector's == find them.
static bool operator==(const UserRecord& a, const UserRecord& b) {
    return a.id == b.id && a.name == b.name && a.state == b.state && a.failures == b.failures &&
           a.reason == b.reason && a.suspended_by_admin == b.suspended_by_admin && a.suspended_at == b.suspended_at &&
           a.last_login == b.last_login && a.created == b.created;
}
static bool operator==(const TokenRecord& a, const TokenRecord& b) {
    return a.id == b.id && a.user_id == b.user_id && a.type == b.type && a.algorithm == b.algorithm &&
           a.digits == b.digits && a.period == b.period && a.state == b.state && a.label == b.label &&
           a.sealed_secret == b.sealed_secret && a.last_step == b.last_step && a.counter == b.counter &&
           a.drift == b.drift && a.created == b.created && a.last_used == b.last_used;
}
static bool operator==(const AuditEntry& a, const AuditEntry& b) {
    return a.id == b.id && a.time == b.time && a.user == b.user && a.service == b.service && a.rhost == b.rhost &&
           a.tty == b.tty && a.result == b.result && a.token_id == b.token_id && a.detail == b.detail;
}
static bool operator==(const AuditHour& a, const AuditHour& b) {
    return a.start == b.start && a.ok == b.ok && a.waived == b.waived && a.failures == b.failures;
}
static bool operator==(const ExemptionRecord& a, const ExemptionRecord& b) {
    return a.user == b.user && a.until == b.until && a.reason == b.reason && a.created == b.created &&
           a.created_by == b.created_by;
}
static bool operator==(const ActivationRecord& a, const ActivationRecord& b) {
    return a.salt == b.salt && a.hash == b.hash && a.expires == b.expires && a.created == b.created;
}
static bool operator==(const RecoveryCodeRecord& a, const RecoveryCodeRecord& b) { return a.id == b.id && a.hash == b.hash; }
static bool operator==(const RecoverySet& a, const RecoverySet& b) { return a.salt == b.salt && a.unused == b.unused; }
static bool operator==(const UserCounts& a, const UserCounts& b) {
    return a.total == b.total && a.active == b.active && a.suspended == b.suspended && a.exempt == b.exempt &&
           a.without_token == b.without_token;
}
static bool operator==(const SealedSecret& a, const SealedSecret& b) {
    return a.token_id == b.token_id && a.user == b.user && a.blob == b.blob;
}

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

// A sealed blob under key `id` (4 bytes of key id first, as SecretBox writes them).
std::vector<std::uint8_t> blob(std::uint32_t id, std::string_view rest) {
    std::string text(rest.size() + 4, '\0');
    const auto prefix = SecretBox::key_id_prefix(id);
    std::copy(prefix.begin(), prefix.end(), text.begin());
    std::copy(rest.begin(), rest.end(), text.begin() + 4);
    return bytes(text);
}

class StoreConformanceTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (test::PostgresServer::available()) server_ = std::make_unique<test::PostgresServer>();
    }
    static void TearDownTestSuite() { server_.reset(); }

    void SetUp() override {
        if (!server_) GTEST_SKIP() << "the PostgreSQL server is not installed (scripts/install-deps.sh installs it)";
        sqlite_ = std::make_unique<SqliteStore>(dir_.file("kotp.db"));
        Config config;
        config.storage = server_->create_database("conformance_" + std::to_string(counter_++));
        config.storage_password_file = server_->password_file();
        pg_ = open_shared_store(config);
    }

    // Runs fn on both stores, each in a transaction, and expects equal answers.
    template <typename Fn>
    void both(const char* what, Fn fn) {
        SCOPED_TRACE(what);
        Transaction a(*sqlite_);
        auto from_sqlite = fn(*sqlite_);
        a.commit();
        Transaction b(*pg_);
        auto from_pg = fn(*pg_);
        b.commit();
        EXPECT_TRUE(from_sqlite == from_pg) << what << ": the stores differ";
    }

    static std::unique_ptr<test::PostgresServer> server_;
    static inline int counter_ = 0;
    test::TempDir dir_;
    std::unique_ptr<Store> sqlite_;
    std::unique_ptr<Store> pg_;
};

std::unique_ptr<test::PostgresServer> StoreConformanceTest::server_;

TEST_F(StoreConformanceTest, EveryCallAnswersAlikeOnSqliteAndPostgresql) {
    // Users: ids, the lookup, updates, the list in name order (bytewise: "Zed" < "alice").
    for (const char* name : {"alice", "bob", "Zed", "carol", "d\xc3\xa9sir\xc3\xa9"}) {
        both("insert_user", [&](Store& s) {
            UserRecord u;
            u.name = name;
            u.created = 1'700'000'000;
            return s.insert_user(u);
        });
    }
    both("find_user", [](Store& s) { return s.find_user("bob"); });
    both("find_user of nobody", [](Store& s) { return s.find_user("nobody"); });
    both("update_user", [](Store& s) {
        auto u = *s.find_user("bob");
        u.state = wire::UserState::Suspended;
        u.failures = 5;
        u.reason = "5 failed codes";
        u.suspended_by_admin = true;
        u.suspended_at = 1'700'000'100;
        u.last_login = 1'700'000'050;
        s.update_user(u);
        return s.find_user("bob");
    });
    both("list_users", [](Store& s) { return s.list_users("", 100); });
    both("list_users after", [](Store& s) { return s.list_users("bob", 2); });

    // Tokens: every field, the non-revoked list, updates, revocation wiping the blob.
    both("insert_token", [](Store& s) {
        TokenRecord t;
        t.user_id = s.find_user("alice")->id;
        t.type = wire::TokenType::Hotp;
        t.algorithm = wire::Algorithm::Sha256;
        t.digits = 8;
        t.period = 60;
        t.state = wire::TokenState::Active;
        t.label = "phone";
        t.sealed_secret = blob(1, std::string("\0\x01\xff secret", 10));
        t.last_step = 42;
        t.counter = 7;
        t.drift = -1;
        t.created = 1'700'000'001;
        const auto first = s.insert_token(t);
        t.sealed_secret = blob(2, "other");
        t.user_id = s.find_user("carol")->id;
        return std::pair{first, s.insert_token(t)};
    });
    both("update_token", [](Store& s) {
        auto t = s.tokens_of(s.find_user("alice")->id).at(0);
        t.last_step = 56'666'667;
        t.counter = 9;
        t.drift = 1;
        t.last_used = 1'700'000'200;
        t.state = wire::TokenState::Active;
        s.update_token(t);
        return s.tokens_of(t.user_id);
    });
    both("sealed_key_ids", [](Store& s) { return s.sealed_key_ids(); });
    both("sealed_secrets_not_under", [](Store& s) { return s.sealed_secrets_not_under(2, 0, 10); });
    both("replace_sealed_secret", [](Store& s) {
        const auto id = s.tokens_of(s.find_user("alice")->id).at(0).id;
        const bool stale = s.replace_sealed_secret(id, blob(9, "not it"), blob(2, "new"));
        const bool swapped = s.replace_sealed_secret(id, blob(1, std::string("\0\x01\xff secret", 10)), blob(2, "new"));
        return std::tuple{stale, swapped, s.tokens_of(s.find_user("alice")->id)};
    });
    both("revoke_tokens", [](Store& s) {
        s.revoke_tokens(s.find_user("carol")->id);
        return std::pair{s.tokens_of(s.find_user("carol")->id), s.sealed_key_ids()};
    });

    // Activation and recovery codes.
    both("activation", [](Store& s) {
        const auto id = s.find_user("Zed")->id;
        s.set_activation(id, {bytes("salt1"), bytes("hash1"), 1'700'086'400, 1'700'000'000});
        s.set_activation(id, {bytes("salt2"), bytes("hash2"), 1'700'086'401, 1'700'000'001});  // replaces
        auto found = s.find_activation(id);
        s.delete_activation(s.find_user("alice")->id);
        return std::pair{found, s.find_activation(s.find_user("alice")->id)};
    });
    both("recovery codes", [](Store& s) {
        const auto id = s.find_user("alice")->id;
        s.replace_recovery_codes(id, bytes("set salt"), {bytes("h1"), bytes("h2"), bytes("h3")});
        const auto first = s.recovery_codes(id);
        s.use_recovery_code(first.unused.at(1).id, 1'700'000'300);
        return std::pair{first, s.recovery_codes(id)};
    });
    // Code ids are opaque: SQLite hands out a deleted row's id again (rowid), PostgreSQL never.
    both("recovery codes replaced and deleted", [](Store& s) {
        const auto id = s.find_user("alice")->id;
        s.replace_recovery_codes(id, bytes("salt 2"), {bytes("h4")});
        const auto replaced = s.recovery_codes(id);
        s.delete_recovery_codes(id);
        std::vector<std::vector<std::uint8_t>> hashes;
        for (const auto& c : replaced.unused) hashes.push_back(c.hash);
        return std::tuple{replaced.salt, hashes, s.recovery_codes(id)};
    });

    // Exemptions (by name, the user need not exist) and grace.
    both("exemptions", [](Store& s) {
        s.set_exemption({"svc-backup", 1'800'000'000, "backups", 1'700'000'000, 0});
        s.set_exemption({"svc-backup", 1'800'000'001, "backups, renewed", 1'700'000'001, 1000});
        s.set_exemption({"old", 1'600'000'000, "ended", 1'500'000'000, 0});
        const auto found = s.find_exemption("svc-backup");
        const bool deleted = s.delete_exemption("old");
        const bool again = s.delete_exemption("old");
        return std::tuple{found, deleted, again, s.find_exemption("old")};
    });
    both("grace", [](Store& s) {
        const auto id = s.find_user("alice")->id;
        s.set_grace(id, "192.0.2.1", 1'700'000'060);
        s.set_grace(id, "192.0.2.1", 1'700'000'090);
        s.set_grace(id, "192.0.2.2", 1'700'000'070);
        const auto one = s.grace_until(id, "192.0.2.1");
        const auto other = s.grace_until(id, "198.51.100.1");
        s.delete_grace(id);
        return std::tuple{one, other, s.grace_until(id, "192.0.2.2")};
    });

    // The audit: filters, pages, hours, purge; text PAM may hand over that is not UTF-8 is
    // stored as \xNN by PostgreSQL, so those rows are compared apart below.
    both("append_audit", [](Store& s) {
        const char* results[] = {"KS0000", "KS0002", "KS1003", "unlock", "KS1004", "KS0000", "enroll"};
        for (int i = 0; i < 14; ++i) {
            AuditEntry e;
            e.time = 1'700'000'000 + i * 1000;
            e.user = i % 2 == 0 ? "alice" : "bob";
            e.service = "sshd";
            e.rhost = "192.0.2." + std::to_string(i);
            e.tty = "ssh";
            e.result = results[i % 7];
            e.token_id = i % 3;
            e.detail = "detail " + std::to_string(i);
            s.append_audit(e);
        }
        return 0;
    });
    both("audit_page all", [](Store& s) { return s.audit_page("", 0, 0, 100); });
    both("audit_page of bob since", [](Store& s) { return s.audit_page("bob", 1'700'005'000, 0, 3); });
    both("audit_page before", [](Store& s) { return s.audit_page("", 0, 10, 4); });
    both("audit_hours", [](Store& s) { return s.audit_hours(1'699'999'200, 1'700'020'000); });
    both("user_counts", [](Store& s) { return s.user_counts(1'700'000'000); });
    both("purge_audit", [](Store& s) {
        const auto n = s.purge_audit(1'700'004'000);
        return std::pair{n, s.audit_page("", 0, 0, 100)};
    });
    both("delete_user", [](Store& s) {
        s.delete_user(s.find_user("carol")->id);
        return std::pair{s.list_users("", 100), s.user_counts(1'700'000'000)};
    });
}

TEST_F(StoreConformanceTest, TextPostgresqlCannotHoldIsStoredEscapedNeverRefused) {
    AuditEntry e;
    e.time = 1'700'000'000;
    e.user = "alice";
    e.rhost = std::string("host\xff\x00name", 10);
    e.tty = "pts/\xc3";  // a cut UTF-8 sequence
    e.result = "KS1003";
    Transaction txn(*pg_);
    pg_->append_audit(e);
    const auto rows = pg_->audit_page("alice", 0, 0, 10);
    txn.commit();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].rhost, "host\\xff\\x00name");
    EXPECT_EQ(rows[0].tty, "pts/\\xc3");
}

TEST_F(StoreConformanceTest, AFailedStatementRollsBackAndTheNextTransactionWorks) {
    {
        Transaction txn(*pg_);
        UserRecord u;
        u.name = "alice";
        pg_->insert_user(u);
        EXPECT_THROW(pg_->insert_user(u), StoreError);  // the name is unique
    }  // rolled back
    Transaction txn(*pg_);
    EXPECT_FALSE(pg_->find_user("alice").has_value());
    txn.commit();
}

}  // namespace
}  // namespace kotp::otpd
