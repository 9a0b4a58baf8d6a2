#include "sqlite_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "secret_box.hpp"
#include "sqlite_schema.hpp"

namespace kotp::otpd {

class SqliteStore::Statement {
public:
    Statement(SqliteStore& owner, const char* sql) : owner_(owner), db_(owner.db_) {
        if (const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
            rc != SQLITE_OK)
            owner_.fail(rc, std::string("prepare failed: ") + sqlite3_errmsg(db_));
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, std::int64_t v) {
        check(sqlite3_bind_int64(stmt_, i, v));
        return *this;
    }
    Statement& bind(int i, std::string_view v) {
        check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
        return *this;
    }
    Statement& bind(int i, const std::vector<std::uint8_t>& v) {
        check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
        return *this;
    }
    // True while a row is available; false when done. Throws on error.
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        const std::string message = sqlite3_errmsg(db_);
        reset();
        owner_.fail(rc, "sqlite: " + message);
    }
    void run() {
        step();
        reset();
    }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    std::int64_t integer(int col) { return sqlite3_column_int64(stmt_, col); }
    std::string text(int col) {
        const auto* p = sqlite3_column_text(stmt_, col);
        return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p),
                                                          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
    }
    std::vector<std::uint8_t> blob(int col) {
        const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
        const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col));
        return p == nullptr ? std::vector<std::uint8_t>() : std::vector<std::uint8_t>(p, p + n);
    }

private:
    void check(int rc) {
        if (rc != SQLITE_OK) owner_.fail(rc, std::string("sqlite bind: ") + sqlite3_errmsg(db_));
    }
    SqliteStore& owner_;
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// Resets the statement when the scope ends, also on exceptions.
namespace {
template <typename S>
struct ResetOnExit {
    S& s;
    ~ResetOnExit() { s.reset(); }
};
}  // namespace

namespace {

// Errors that say the file or the file system under it failed, not the statement: the database
// went read-only, the disk is full, an I/O error, the file is damaged or gone. After one of them
// the connection is closed and opened again on the next request: a WAL connection that saw an
// I/O error may keep a stale view of the WAL index, and holding no descriptor on the file system
// lets the administrator unmount it, repair it and mount it again under a running otpd.
bool is_file_failure(int rc) {
    switch (rc & 0xff) {
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_READONLY:
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
        case SQLITE_CANTOPEN:
        case SQLITE_PROTOCOL:
        case SQLITE_NOMEM: return true;
        default: return false;
    }
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path) : path_(path) {
    // Create the file with 0600 ourselves; SQLite would use 0644 minus the umask.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw StoreError("cannot open database " + path + ": " + std::strerror(errno));
    ::close(fd);
    open_connection();
}

SqliteStore::~SqliteStore() { close_connection(); }

void SqliteStore::open_connection() {
    // Never SQLITE_OPEN_CREATE: a database that vanished under a running otpd must not come back
    // empty (every user would look unenrolled); only the constructor creates the file.
    if (const int rc = sqlite3_open_v2(path_.c_str(), &db_,
                                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, nullptr);
        rc != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
        close_connection();
        throw StoreError("cannot open database " + path_ + ": " + message + " (" + sqlite3_errstr(rc) + ")");
    }
    try {
        sqlite3_extended_result_codes(db_, 1);
        // SQLITE_OPEN_READWRITE quietly falls back to read-only on a read-only file or file
        // system; otpd must record every attempt, so that is a failure, not a mode.
        if (sqlite3_db_readonly(db_, "main") == 1)
            throw StoreError("it can only be opened read-only (a read-only file system or file)");
        exec("PRAGMA journal_mode=WAL");
        // WAL with NORMAL: a commit writes its frames to the log without waiting for the disk,
        // and the log is fsynced before every checkpoint. Durability before the reply comes from
        // the fdatasync of the log that follows: commit() outside a group does it at once, a
        // group's replies wait for sync_committed() (docs/PERFORMANCE.md has the argument).
        exec("PRAGMA synchronous=NORMAL");
        checkpointer_.attach(db_);  // the log's checkpoints run on the syncer thread (after_sync)
        // The io thread alone uses the connection (NOMUTEX above: no lock per call). 16 MiB of
        // page cache holds the inner pages of every table and index for a million users, so a
        // login reads at most its own leaves from the file; otpd stays far under 64 MiB.
        exec("PRAGMA cache_size=-16384");
        exec("PRAGMA foreign_keys=ON");
        exec("PRAGMA secure_delete=ON");  // deleted rows (sealed secrets) are overwritten
        sqlite3_busy_timeout(db_, 5000);
        check_integrity();
        migrate();
        probe_writable();
        sync_new_log();
    } catch (const StoreError& e) {
        close_connection();
        throw StoreError("database " + path_ + ": " + e.what());
    } catch (...) {
        close_connection();
        throw;
    }
    needs_reopen_ = false;
}

void SqliteStore::close_connection() noexcept {
    statements_.clear();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = nullptr;
}

void SqliteStore::reopen_if_failed() {
    if (needs_reopen_ && db_ != nullptr && sqlite3_get_autocommit(db_)) close_connection();
    if (db_ == nullptr) open_connection();
}

void SqliteStore::check_integrity() {
    // quick_check reports damage as result rows, not as an error code: read them. A damaged file
    // is left exactly as it is for the administrator (restore the backup, or .recover it).
    auto& s = prepare("PRAGMA quick_check(5)");
    ResetOnExit<Statement> guard{s};
    std::string problems;
    while (s.step()) {
        const std::string row = s.text(0);
        if (row == "ok") continue;
        if (!problems.empty()) problems += "; ";
        problems += row;
    }
    if (!problems.empty())
        throw StoreError("the file is damaged (quick_check: " + problems +
                         "); otpd left it untouched: restore it from a backup");
}

void SqliteStore::probe_writable() {
    // One real write before the connection serves anyone: the schema version rewritten unchanged
    // (one page into the WAL). A file system that went read-only, or a full disk, refuses it here,
    // so otpd holds the database open only while it can record what it answers.
    const std::string sql = "PRAGMA user_version=" + std::to_string(schema_version());
    exec("BEGIN IMMEDIATE");
    try {
        exec(sql.c_str());
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void SqliteStore::fail(int rc, std::string message) {
    message += std::string(" (") + sqlite3_errstr(rc) + ", code " + std::to_string(rc) + ")";
    if (is_file_failure(rc)) {
        needs_reopen_ = true;
        if (group_ && group_failure_.empty()) group_failure_ = message;
    }
    throw StoreError(message);
}

void SqliteStore::exec(const char* sql) {
    char* message = nullptr;
    if (const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message); rc != SQLITE_OK) {
        const std::string text = message ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        fail(rc, "sqlite: " + text);
    }
}

SqliteStore::Statement& SqliteStore::prepare(const char* sql) {
    if (db_ == nullptr) reopen_if_failed();
    auto& slot = statements_[sql];
    if (!slot) slot = std::make_unique<Statement>(*this, sql);
    return *slot;
}

int SqliteStore::schema_version() {
    auto& s = prepare("PRAGMA user_version");
    ResetOnExit<Statement> guard{s};
    return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

void SqliteStore::migrate() {
    // A migration that rebuilds a table drops the old one: with foreign keys on, that would
    // delete the rows that reference it. Off while migrating (a no-op inside a transaction, so
    // before it), checked before the commit, on again after.
    const auto migrations = sqlite_migrations();
    const int latest = static_cast<int>(migrations.size());
    exec("PRAGMA foreign_keys=OFF");
    exec("BEGIN IMMEDIATE");
    int version = 0;
    try {
        version = schema_version();
        if (version > latest)
            throw StoreError("database schema version " + std::to_string(version) +
                             " is newer than this otpd understands (" + std::to_string(latest) + "); upgrade otpd");
        for (int v = version; v < latest; ++v) {
            exec(migrations[static_cast<std::size_t>(v)]);
            exec(("PRAGMA user_version=" + std::to_string(v + 1)).c_str());
        }
        if (version < latest) {
            auto& check = prepare("PRAGMA foreign_key_check");
            ResetOnExit<Statement> guard{check};
            if (check.step())
                throw StoreError("the migration to schema version " + std::to_string(latest) +
                                 " left a row of table " + check.text(0) +
                                 " without its parent; nothing was changed");
        }
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_exec(db_, "PRAGMA foreign_keys=ON", nullptr, nullptr, nullptr);
        throw;
    }
    exec("PRAGMA foreign_keys=ON");
    if (version == 0) {
        // A new database went through every migration, and the tables that later ones rebuild
        // left free pages behind. Packed now, while it is empty, so that every page of the file
        // is one in use (and its damage is found at the next start: check_integrity).
        exec("VACUUM");
    } else if (version < latest) {
        // An upgrade's rebuilt tables are in the log (hundreds of MiB with a million users):
        // copied into the database file now, at the start, not by the checkpoints of the first
        // logins' syncs.
        exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
}

void SqliteStore::begin() {
    if (group_) {
        if (!group_failure_.empty()) throw StoreError(group_failure_);
        prepare("SAVEPOINT txn").run();
        ++nested_;
        return;
    }
    reopen_if_failed();
    prepare("BEGIN IMMEDIATE").run();
}

void SqliteStore::commit() {
    if (!group_) {
        prepare("COMMIT").run();
        std::string error;
        if (!sync_committed(error)) {
            needs_reopen_ = true;
            throw StoreError(error);
        }
        return;
    }
    // Folds the savepoint into the group; nothing is durable until commit_group().
    prepare("RELEASE txn").run();
    --nested_;
}

void SqliteStore::rollback() noexcept {
    if (group_) {
        if (nested_ == 0) return;
        --nested_;
        // A file failure may have cost the whole transaction (SQLite rolls it back by itself on
        // some I/O errors): then nothing of the group can be trusted, and it fails as a whole.
        if (group_failure_.empty() && !needs_reopen_ && db_ != nullptr && !sqlite3_get_autocommit(db_) &&
            sqlite3_exec(db_, "ROLLBACK TO txn; RELEASE txn", nullptr, nullptr, nullptr) == SQLITE_OK)
            return;
        if (group_failure_.empty()) group_failure_ = "a storage failure inside a group of transactions";
        return;
    }
    if (db_ != nullptr && !sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    // Let go of the file at once rather than at the next request, so that nothing of otpd's
    // holds a file system that the administrator wants to unmount and repair.
    if (needs_reopen_) close_connection();
}

void SqliteStore::begin_group() {
    if (group_) throw StoreError("a group of transactions is already open");
    reopen_if_failed();
    prepare("BEGIN IMMEDIATE").run();
    group_ = true;
    nested_ = 0;
    group_failure_.clear();
    changes_at_group_ = sqlite3_total_changes64(db_);
}

bool SqliteStore::commit_group() {
    if (!group_) throw StoreError("no group of transactions is open");
    if (nested_ != 0 || !group_failure_.empty()) {
        const std::string why = group_failure_.empty() ? "a transaction of the group was left open" : group_failure_;
        rollback_group();
        throw StoreError(why);
    }
    try {
        prepare("COMMIT").run();  // the one fsync for every transaction of the group
    } catch (...) {
        rollback_group();
        throw;
    }
    group_ = false;
    return sqlite3_total_changes64(db_) != changes_at_group_;
}

// The write-ahead log is opened by name for each sync: fdatasync flushes the file whichever
// descriptor names it, and a log that SQLite deleted and made again after a reopen is still
// the one synced. Safe on any thread: it touches nothing but the file.
bool SqliteStore::sync_committed(std::string& error) noexcept {
    const std::string log = path_ + "-wal";
    const int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        error = "cannot open the write-ahead log " + log + " to sync it: " + std::strerror(errno);
        return false;
    }
    const int rc = ::fdatasync(fd);
    const int saved = errno;
    ::close(fd);
    if (rc != 0) {
        error = "cannot sync the write-ahead log " + log + ": " + std::strerror(saved);
        return false;
    }
    return true;
}

// After an open: the log file and its directory entry on disk before anything is acknowledged.
void SqliteStore::sync_new_log() {
    std::string error;
    if (!sync_committed(error)) throw StoreError(error);
    auto dir = std::filesystem::path(path_).parent_path().string();
    if (dir.empty()) dir = ".";
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const std::string why = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        throw StoreError("cannot sync the directory " + dir + ": " + why);
    }
    ::close(fd);
}

void SqliteStore::rollback_group() noexcept {
    group_ = false;
    nested_ = 0;
    group_failure_.clear();
    if (db_ != nullptr && !sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    if (needs_reopen_) close_connection();
}

namespace {
constexpr const char* kUserColumns =
    "id, name, state, failures, reason, suspended_by_admin, suspended_at, last_login, created";

template <typename S>
UserRecord read_user(S& s) {
    UserRecord u;
    u.id = s.integer(0);
    u.name = s.text(1);
    u.state = s.integer(2) == 1 ? wire::UserState::Suspended : wire::UserState::Active;
    u.failures = static_cast<unsigned>(s.integer(3));
    u.reason = s.text(4);
    u.suspended_by_admin = s.integer(5) != 0;
    u.suspended_at = s.integer(6);
    u.last_login = s.integer(7);
    u.created = s.integer(8);
    return u;
}
}  // namespace

std::optional<UserRecord> SqliteStore::find_user(std::string_view name) {
    static const std::string sql = std::string("SELECT ") + kUserColumns + " FROM users WHERE name = ?1";
    auto& s = prepare(sql.c_str());
    ResetOnExit<Statement> guard{s};
    s.bind(1, name);
    if (!s.step()) return std::nullopt;
    return read_user(s);
}

std::int64_t SqliteStore::insert_user(const UserRecord& user) {
    // The id as SQLite gives a rowid: one more than the largest (users has no rowid).
    auto& s = prepare(
        "INSERT INTO users (id, name, state, failures, created) "
        "VALUES ((SELECT coalesce(max(id), 0) + 1 FROM users), ?1, ?2, ?3, ?4) RETURNING id");
    ResetOnExit<Statement> guard{s};
    s.bind(1, user.name).bind(2, static_cast<std::int64_t>(user.state));
    s.bind(3, static_cast<std::int64_t>(user.failures)).bind(4, user.created);
    if (!s.step()) fail(SQLITE_ERROR, "no id for the new user");
    return s.integer(0);
}

void SqliteStore::update_user(const UserRecord& user) {
    auto& s = prepare(
        "UPDATE users SET state = ?2, failures = ?3, reason = ?4, suspended_by_admin = ?5, "
        "suspended_at = ?6, last_login = ?7 WHERE name = ?8 AND id = ?1");  // found by name: its key
    s.bind(1, user.id).bind(2, static_cast<std::int64_t>(user.state));
    s.bind(3, static_cast<std::int64_t>(user.failures)).bind(4, user.reason);
    s.bind(5, std::int64_t{user.suspended_by_admin ? 1 : 0}).bind(6, user.suspended_at).bind(7, user.last_login);
    s.bind(8, user.name);
    s.run();
}

void SqliteStore::delete_user(std::int64_t user_id) {
    auto& s = prepare("DELETE FROM users WHERE id = ?1");
    s.bind(1, user_id);
    s.run();
}

std::vector<std::pair<UserRecord, unsigned>> SqliteStore::list_users(std::string_view after, unsigned limit) {
    static const std::string sql =
        std::string("SELECT ") + kUserColumns +
        ", (SELECT count(*) FROM tokens t WHERE t.user_id = users.id AND t.state != 3) "
        "FROM users WHERE name > ?1 ORDER BY name LIMIT ?2";
    auto& s = prepare(sql.c_str());
    ResetOnExit<Statement> guard{s};
    s.bind(1, after).bind(2, static_cast<std::int64_t>(limit));
    std::vector<std::pair<UserRecord, unsigned>> out;
    while (s.step()) out.emplace_back(read_user(s), static_cast<unsigned>(s.integer(9)));
    return out;
}

std::vector<TokenRecord> SqliteStore::tokens_of(std::int64_t user_id) {
    auto& s = prepare(
        "SELECT id, user_id, type, algorithm, digits, period, state, label, sealed_secret, "
        "last_step, counter, drift, created, last_used FROM tokens "
        "WHERE user_id = ?1 AND state != 3 ORDER BY id");
    ResetOnExit<Statement> guard{s};
    s.bind(1, user_id);
    std::vector<TokenRecord> out;
    while (s.step()) {
        TokenRecord t;
        t.id = s.integer(0);
        t.user_id = s.integer(1);
        t.type = static_cast<wire::TokenType>(s.integer(2));
        t.algorithm = static_cast<wire::Algorithm>(s.integer(3));
        t.digits = static_cast<unsigned>(s.integer(4));
        t.period = static_cast<unsigned>(s.integer(5));
        t.state = static_cast<wire::TokenState>(s.integer(6));
        t.label = s.text(7);
        t.sealed_secret = s.blob(8);
        t.last_step = s.integer(9);
        t.counter = static_cast<std::uint64_t>(s.integer(10));
        t.drift = s.integer(11);
        t.created = s.integer(12);
        t.last_used = s.integer(13);
        out.push_back(std::move(t));
    }
    return out;
}

std::int64_t SqliteStore::insert_token(const TokenRecord& t) {
    auto& s = prepare(
        "INSERT INTO tokens (id, user_id, type, algorithm, digits, period, state, label, sealed_secret, "
        "last_step, counter, drift, created) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM tokens), "
        "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id");
    ResetOnExit<Statement> guard{s};
    s.bind(1, t.user_id).bind(2, static_cast<std::int64_t>(t.type)).bind(3, static_cast<std::int64_t>(t.algorithm));
    s.bind(4, static_cast<std::int64_t>(t.digits)).bind(5, static_cast<std::int64_t>(t.period));
    s.bind(6, static_cast<std::int64_t>(t.state)).bind(7, t.label).bind(8, t.sealed_secret);
    s.bind(9, t.last_step).bind(10, static_cast<std::int64_t>(t.counter)).bind(11, t.drift).bind(12, t.created);
    if (!s.step()) fail(SQLITE_ERROR, "no id for the new token");
    return s.integer(0);
}

void SqliteStore::update_token(const TokenRecord& t) {
    auto& s = prepare(
        "UPDATE tokens SET state = ?2, last_step = ?3, counter = ?4, drift = ?5, last_used = ?6 "
        "WHERE user_id = ?7 AND id = ?1");  // the key: the row is found without the id index
    s.bind(1, t.id).bind(2, static_cast<std::int64_t>(t.state)).bind(3, t.last_step);
    s.bind(4, static_cast<std::int64_t>(t.counter)).bind(5, t.drift).bind(6, t.last_used).bind(7, t.user_id);
    s.run();
}

void SqliteStore::revoke_tokens(std::int64_t user_id) {
    auto& s = prepare("UPDATE tokens SET state = 3, sealed_secret = X'' WHERE user_id = ?1");
    s.bind(1, user_id);
    s.run();
}

void SqliteStore::set_activation(std::int64_t user_id, const ActivationRecord& r) {
    auto& s = prepare(
        "INSERT OR REPLACE INTO activation_codes (user_id, salt, hash, expires, created) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    s.bind(1, user_id).bind(2, r.salt).bind(3, r.hash).bind(4, r.expires).bind(5, r.created);
    s.run();
}

std::optional<ActivationRecord> SqliteStore::find_activation(std::int64_t user_id) {
    auto& s = prepare("SELECT salt, hash, expires, created FROM activation_codes WHERE user_id = ?1");
    ResetOnExit<Statement> guard{s};
    s.bind(1, user_id);
    if (!s.step()) return std::nullopt;
    return ActivationRecord{s.blob(0), s.blob(1), s.integer(2), s.integer(3)};
}

void SqliteStore::delete_activation(std::int64_t user_id) {
    auto& s = prepare("DELETE FROM activation_codes WHERE user_id = ?1");
    s.bind(1, user_id);
    s.run();
}

void SqliteStore::replace_recovery_codes(std::int64_t user_id, const std::vector<std::uint8_t>& salt,
                                         const std::vector<std::vector<std::uint8_t>>& hashes) {
    delete_recovery_codes(user_id);
    auto& set = prepare("INSERT INTO recovery_sets (user_id, salt) VALUES (?1, ?2)");
    set.bind(1, user_id).bind(2, salt);
    set.run();
    auto& code = prepare("INSERT INTO recovery_codes (user_id, hash) VALUES (?1, ?2)");
    for (const auto& h : hashes) {
        code.bind(1, user_id).bind(2, h);
        code.run();
    }
}

RecoverySet SqliteStore::recovery_codes(std::int64_t user_id) {
    RecoverySet out;
    {
        auto& s = prepare("SELECT salt FROM recovery_sets WHERE user_id = ?1");
        ResetOnExit<Statement> guard{s};
        s.bind(1, user_id);
        if (!s.step()) return out;
        out.salt = s.blob(0);
    }
    auto& s = prepare("SELECT id, hash FROM recovery_codes WHERE user_id = ?1 AND used_at = 0 ORDER BY id");
    ResetOnExit<Statement> guard{s};
    s.bind(1, user_id);
    while (s.step()) out.unused.push_back({s.integer(0), s.blob(1)});
    return out;
}

void SqliteStore::use_recovery_code(std::int64_t code_id, std::int64_t when) {
    auto& s = prepare("UPDATE recovery_codes SET used_at = ?2 WHERE id = ?1");
    s.bind(1, code_id).bind(2, when);
    s.run();
}

void SqliteStore::delete_recovery_codes(std::int64_t user_id) {
    auto& codes = prepare("DELETE FROM recovery_codes WHERE user_id = ?1");
    codes.bind(1, user_id);
    codes.run();
    auto& set = prepare("DELETE FROM recovery_sets WHERE user_id = ?1");
    set.bind(1, user_id);
    set.run();
}

void SqliteStore::append_audit(const AuditEntry& e) {
    auto& s = prepare(
        "INSERT INTO audit (time, user, service, rhost, tty, result, token_id, detail) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    s.bind(1, e.time).bind(2, e.user).bind(3, e.service).bind(4, e.rhost).bind(5, e.tty);
    s.bind(6, e.result).bind(7, e.token_id).bind(8, e.detail);
    s.run();
}

std::vector<AuditEntry> SqliteStore::audit_page(std::string_view user, std::int64_t since,
                                                std::int64_t before_id, unsigned limit) {
    auto& s = prepare(
        "SELECT id, time, user, service, rhost, tty, result, token_id, detail FROM audit "
        "WHERE (?1 = '' OR user = ?1) AND time >= ?2 AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4");
    ResetOnExit<Statement> guard{s};
    s.bind(1, user).bind(2, since).bind(3, before_id).bind(4, static_cast<std::int64_t>(limit));
    std::vector<AuditEntry> out;
    while (s.step()) {
        AuditEntry e;
        e.id = s.integer(0);
        e.time = s.integer(1);
        e.user = s.text(2);
        e.service = s.text(3);
        e.rhost = s.text(4);
        e.tty = s.text(5);
        e.result = s.text(6);
        e.token_id = s.integer(7);
        e.detail = s.text(8);
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<AuditHour> SqliteStore::audit_hours(std::int64_t from, std::int64_t to) {
    // Message IDs have a fixed width, so ranges of them compare as text; admin actions ("unlock")
    // are lower case and fall in none of them.
    auto& s = prepare(
        "SELECT time / 3600 * 3600 AS hour, "
        "sum(result = 'KS0000'), sum(result BETWEEN 'KS0001' AND 'KS0003'), "
        "sum(result BETWEEN 'KS1001' AND 'KS1007') "
        "FROM audit WHERE time >= ?1 AND time < ?2 GROUP BY hour ORDER BY hour");
    ResetOnExit<Statement> guard{s};
    s.bind(1, from).bind(2, to);
    std::vector<AuditHour> out;
    while (s.step()) out.push_back({s.integer(0), s.integer(1), s.integer(2), s.integer(3)});
    return out;
}

std::int64_t SqliteStore::purge_audit(std::int64_t before) {
    auto& s = prepare("DELETE FROM audit WHERE time < ?1");
    s.bind(1, before);
    s.run();
    return sqlite3_changes64(db_);
}

UserCounts SqliteStore::user_counts(std::int64_t now) {
    UserCounts c;
    {
        auto& s = prepare(
            "SELECT count(*), coalesce(sum(state = 0), 0), coalesce(sum(state = 1), 0), "
            "coalesce(sum(NOT EXISTS (SELECT 1 FROM tokens t WHERE t.user_id = users.id AND t.state != 3)), 0) "
            "FROM users");
        ResetOnExit<Statement> guard{s};
        if (s.step()) {
            c.total = s.integer(0);
            c.active = s.integer(1);
            c.suspended = s.integer(2);
            c.without_token = s.integer(3);
        }
    }
    auto& s = prepare("SELECT count(*) FROM exemptions WHERE until > ?1");
    ResetOnExit<Statement> guard{s};
    s.bind(1, now);
    if (s.step()) c.exempt = s.integer(0);
    return c;
}

void SqliteStore::set_exemption(const ExemptionRecord& r) {
    auto& s = prepare(
        "INSERT OR REPLACE INTO exemptions (user, until, reason, created, created_by) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    s.bind(1, r.user).bind(2, r.until).bind(3, r.reason).bind(4, r.created).bind(5, r.created_by);
    s.run();
}

std::optional<ExemptionRecord> SqliteStore::find_exemption(std::string_view user) {
    auto& s = prepare("SELECT user, until, reason, created, created_by FROM exemptions WHERE user = ?1");
    ResetOnExit<Statement> guard{s};
    s.bind(1, user);
    if (!s.step()) return std::nullopt;
    return ExemptionRecord{s.text(0), s.integer(1), s.text(2), s.integer(3), s.integer(4)};
}

bool SqliteStore::delete_exemption(std::string_view user) {
    auto& s = prepare("DELETE FROM exemptions WHERE user = ?1");
    s.bind(1, user);
    s.run();
    return sqlite3_changes(db_) > 0;
}

void SqliteStore::set_grace(std::int64_t user_id, std::string_view rhost, std::int64_t until) {
    auto& s = prepare("INSERT OR REPLACE INTO grace (user_id, rhost, until) VALUES (?1, ?2, ?3)");
    s.bind(1, user_id).bind(2, rhost).bind(3, until);
    s.run();
}

std::int64_t SqliteStore::grace_until(std::int64_t user_id, std::string_view rhost) {
    auto& s = prepare("SELECT until FROM grace WHERE user_id = ?1 AND rhost = ?2");
    ResetOnExit<Statement> guard{s};
    s.bind(1, user_id).bind(2, rhost);
    return s.step() ? s.integer(0) : 0;
}

void SqliteStore::delete_grace(std::int64_t user_id) {
    auto& s = prepare("DELETE FROM grace WHERE user_id = ?1");
    s.bind(1, user_id);
    s.run();
}

// The key id is the blob's first 4 bytes (SecretBox::key_id_prefix); substr() of a blob counts
// bytes and gives a blob, compared bytewise.
std::vector<SealedSecret> SqliteStore::sealed_secrets_not_under(std::uint32_t key_id, std::int64_t after_id,
                                                                unsigned limit) {
    auto& s = prepare(
        "SELECT t.id, u.name, t.sealed_secret FROM tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.id > ?1 AND length(t.sealed_secret) > 0 AND substr(t.sealed_secret, 1, 4) != ?2 "
        "ORDER BY t.id LIMIT ?3");
    ResetOnExit<Statement> guard{s};
    const auto prefix = SecretBox::key_id_prefix(key_id);
    const std::vector<std::uint8_t> id_bytes(prefix.begin(), prefix.end());
    s.bind(1, after_id).bind(2, id_bytes).bind(3, static_cast<std::int64_t>(limit));
    std::vector<SealedSecret> out;
    while (s.step()) out.push_back({s.integer(0), s.text(1), s.blob(2)});
    return out;
}

bool SqliteStore::replace_sealed_secret(std::int64_t token_id, const std::vector<std::uint8_t>& old_blob,
                                        const std::vector<std::uint8_t>& new_blob) {
    auto& s = prepare("UPDATE tokens SET sealed_secret = ?3 WHERE id = ?1 AND sealed_secret = ?2");
    s.bind(1, token_id).bind(2, old_blob).bind(3, new_blob);
    s.run();
    return sqlite3_changes(db_) > 0;
}

std::map<std::uint32_t, std::int64_t> SqliteStore::sealed_key_ids() {
    auto& s = prepare(
        "SELECT substr(sealed_secret, 1, 4) AS key_id, count(*) FROM tokens "
        "WHERE length(sealed_secret) > 0 GROUP BY key_id");
    ResetOnExit<Statement> guard{s};
    std::map<std::uint32_t, std::int64_t> out;
    // A blob shorter than an id is damaged; it counts under 0, which is never a key.
    while (s.step()) out[SecretBox::key_id_of(s.blob(0))] += s.integer(1);
    return out;
}

void SqliteStore::checkpoint() {
    if (group_) throw StoreError("a checkpoint cannot run inside a group of transactions");
    exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

}  // namespace kotp::otpd
