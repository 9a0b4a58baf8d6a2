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
};

}  // namespace

std::span<const char* const> sqlite_migrations() { return kMigrations; }

}  // namespace kotp::otpd
