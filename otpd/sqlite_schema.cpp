#include "sqlite_schema.hpp"

#include <array>

namespace kotp::otpd {
namespace {

// Never edit one that has shipped; append a new one.
constexpr std::array kMigrations = {
    // 0 -> 1: users, tokens, audit.
    R"sql(
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        state INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT '',
        suspended_by_admin INTEGER NOT NULL DEFAULT 0,
        suspended_at INTEGER NOT NULL DEFAULT 0,
        last_login INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL
    );
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        type INTEGER NOT NULL,
        algorithm INTEGER NOT NULL,
        digits INTEGER NOT NULL,
        period INTEGER NOT NULL,
        state INTEGER NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        sealed_secret BLOB NOT NULL,
        last_step INTEGER NOT NULL DEFAULT -1,
        counter INTEGER NOT NULL DEFAULT 0,
        drift INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL,
        last_used INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX tokens_by_user ON tokens(user_id);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        user TEXT NOT NULL,
        service TEXT NOT NULL DEFAULT '',
        rhost TEXT NOT NULL DEFAULT '',
        tty TEXT NOT NULL DEFAULT '',
        result TEXT NOT NULL,
        token_id INTEGER NOT NULL DEFAULT 0,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_by_user_time ON audit(user, time);
    )sql",
    // 1 -> 2: activation codes and recovery codes, stored as salted scrypt hashes.
    R"sql(
    CREATE TABLE activation_codes (
        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        salt BLOB NOT NULL,
        hash BLOB NOT NULL,
        expires INTEGER NOT NULL,
        created INTEGER NOT NULL
    );
    CREATE TABLE recovery_sets (
        user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        salt BLOB NOT NULL
    );
    CREATE TABLE recovery_codes (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        hash BLOB NOT NULL,
        used_at INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX recovery_codes_by_user ON recovery_codes(user_id);
    )sql",
    // 2 -> 3: per-user exemptions (by name: the user need not be enrolled) and grace periods.
    R"sql(
    CREATE TABLE exemptions (
        user TEXT PRIMARY KEY,
        until INTEGER NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        created INTEGER NOT NULL,
        created_by INTEGER NOT NULL
    );
    CREATE TABLE grace (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        rhost TEXT NOT NULL,
        until INTEGER NOT NULL,
        PRIMARY KEY (user_id, rhost)
    );
    )sql",
    // 3 -> 4: kotp-admin stats counts logins per hour and the retention purge deletes by time.
    R"sql(
    CREATE INDEX audit_by_time ON audit(time);
    )sql",
    // 4 -> 5: a login finds its user and its tokens in one B-tree each. users is kept in name
    // order and tokens in user order (WITHOUT ROWID), so neither needs an index to be found: with
    // a million users, two database pages fewer to read per login. The ids stay as they were
    // (unique, given by the store as max + 1, as SQLite gave rowids). Runs with foreign keys off
    // (migrate() checks them before committing).
    R"sql(
    CREATE TABLE users_v5 (
        id INTEGER NOT NULL UNIQUE,
        name TEXT NOT NULL PRIMARY KEY,
        state INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT '',
        suspended_by_admin INTEGER NOT NULL DEFAULT 0,
        suspended_at INTEGER NOT NULL DEFAULT 0,
        last_login INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO users_v5 (id, name, state, failures, reason, suspended_by_admin, suspended_at, last_login, created)
        SELECT id, name, state, failures, reason, suspended_by_admin, suspended_at, last_login, created
        FROM users ORDER BY name;
    CREATE TABLE tokens_v5 (
        id INTEGER NOT NULL UNIQUE,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        type INTEGER NOT NULL,
        algorithm INTEGER NOT NULL,
        digits INTEGER NOT NULL,
        period INTEGER NOT NULL,
        state INTEGER NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        sealed_secret BLOB NOT NULL,
        last_step INTEGER NOT NULL DEFAULT -1,
        counter INTEGER NOT NULL DEFAULT 0,
        drift INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL,
        last_used INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, id)
    ) WITHOUT ROWID;
    INSERT INTO tokens_v5 (id, user_id, type, algorithm, digits, period, state, label, sealed_secret,
                           last_step, counter, drift, created, last_used)
        SELECT id, user_id, type, algorithm, digits, period, state, label, sealed_secret,
               last_step, counter, drift, created, last_used
        FROM tokens ORDER BY user_id, id;
    DROP TABLE tokens;
    DROP TABLE users;
    ALTER TABLE users_v5 RENAME TO users;
    ALTER TABLE tokens_v5 RENAME TO tokens;
    )sql",
};

}  // namespace

std::span<const char* const> sqlite_migrations() { return kMigrations; }

}  // namespace kotp::otpd
