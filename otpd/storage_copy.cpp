#include "storage_copy.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>

#include "pg_schema.hpp"

namespace kotp::otpd {
namespace {

using Kind = StorageCopyError::Kind;

// COPY data is sent in pieces of about this size; rows between progress reports.
constexpr std::size_t kCopyChunk = 1 << 20;
constexpr std::int64_t kProgressRows = 1 << 16;

enum class Column { Integer, Text, Bytes };

struct Field {
    const char* sqlite;  // the column in SQLite
    const char* pg;      // the same column in PostgreSQL ("user" is user_name there)
    Column type;
};

struct TableSpec {
    const char* name;   // the same in both
    bool identity;      // its id column has an identity sequence in PostgreSQL
    std::vector<Field> fields;
};

// Every table of the SQLite schema version 5 (sqlite_schema.cpp) and of PostgreSQL's migration 1
// (pg_schema.cpp), parents before the tables that reference them.
const std::vector<TableSpec>& tables() {
    using enum Column;
    static const std::vector<TableSpec> specs = {
        {"users", true,
         {{"id", "id", Integer}, {"name", "name", Text}, {"state", "state", Integer},
          {"failures", "failures", Integer}, {"reason", "reason", Text},
          {"suspended_by_admin", "suspended_by_admin", Integer}, {"suspended_at", "suspended_at", Integer},
          {"last_login", "last_login", Integer}, {"created", "created", Integer}}},
        {"tokens", true,
         {{"id", "id", Integer}, {"user_id", "user_id", Integer}, {"type", "type", Integer},
          {"algorithm", "algorithm", Integer}, {"digits", "digits", Integer}, {"period", "period", Integer},
          {"state", "state", Integer}, {"label", "label", Text}, {"sealed_secret", "sealed_secret", Bytes},
          {"last_step", "last_step", Integer}, {"counter", "counter", Integer}, {"drift", "drift", Integer},
          {"created", "created", Integer}, {"last_used", "last_used", Integer}}},
        {"activation_codes", false,
         {{"user_id", "user_id", Integer}, {"salt", "salt", Bytes}, {"hash", "hash", Bytes},
          {"expires", "expires", Integer}, {"created", "created", Integer}}},
        {"recovery_sets", false, {{"user_id", "user_id", Integer}, {"salt", "salt", Bytes}}},
        {"recovery_codes", true,
         {{"id", "id", Integer}, {"user_id", "user_id", Integer}, {"hash", "hash", Bytes},
          {"used_at", "used_at", Integer}}},
        {"exemptions", false,
         {{"\"user\"", "user_name", Text}, {"until", "until", Integer}, {"reason", "reason", Text},
          {"created", "created", Integer}, {"created_by", "created_by", Integer}}},
        {"grace", false, {{"user_id", "user_id", Integer}, {"rhost", "rhost", Text}, {"until", "until", Integer}}},
        {"audit", true,
         {{"id", "id", Integer}, {"time", "time", Integer}, {"\"user\"", "user_name", Text},
          {"service", "service", Text}, {"rhost", "rhost", Text}, {"tty", "tty", Text},
          {"result", "result", Text}, {"token_id", "token_id", Integer}, {"detail", "detail", Text}}},
    };
    return specs;
}

std::string column_list(const TableSpec& t, const char* Field::*which) {
    std::string out;
    for (const auto& f : t.fields) out += (out.empty() ? "" : ", ") + std::string(f.*which);
    return out;
}

std::int64_t parse_count(const char* text) {
    std::int64_t n = -1;
    const auto end = text + std::strlen(text);
    if (std::from_chars(text, end, n).ptr != end) return -1;
    return n;
}

// ---- the source: otpd's SQLite file, read-only, in one read transaction ----

class SqliteStatement {
public:
    SqliteStatement() = default;
    ~SqliteStatement() { sqlite3_finalize(stmt_); }
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;
    sqlite3_stmt** out() { return &stmt_; }
    sqlite3_stmt* get() const { return stmt_; }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

// Closing ends the read transaction; nothing was written.
struct SqliteCloser {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};

class SqliteSource {
public:
    explicit SqliteSource(const std::string& path);

    [[noreturn]] void fail(const std::string& what) const {
        throw StorageCopyError(Kind::Source, "database " + path_ + ": " + what);
    }
    void prepare(const std::string& sql, SqliteStatement& stmt) const {
        if (sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, stmt.out(), nullptr) != SQLITE_OK)
            fail(sqlite3_errmsg(db_.get()));
    }
    // True while a row is there, false at the end.
    bool step(const SqliteStatement& stmt) const {
        const int rc = sqlite3_step(stmt.get());
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail(error_text(rc));
    }
    // SQLite's message, and the code's meaning when that says more.
    std::string error_text(int rc) const {
        std::string text = sqlite3_errmsg(db_.get());
        if (text != sqlite3_errstr(rc)) text += std::string(" (") + sqlite3_errstr(rc) + ")";
        return text;
    }
    std::int64_t integer(const std::string& sql) const {
        SqliteStatement stmt;
        prepare(sql, stmt);
        if (!step(stmt)) fail("no result from " + sql);
        return sqlite3_column_int64(stmt.get(), 0);
    }

private:
    void check_schema() const;
    std::string path_;
    std::unique_ptr<sqlite3, SqliteCloser> db_;
};

SqliteSource::SqliteSource(const std::string& path) : path_(path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            throw StorageCopyError(Kind::Source, "database " + path +
                                                     " does not exist: name otpd's state file with --from "
                                                     "(<state_dir>/kotp.db, or database = in otpd.conf)");
        throw StorageCopyError(Kind::Source, "cannot read database " + path + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) throw StorageCopyError(Kind::Source, "database " + path + " is not a regular file");
    // Read-only and never created: the file stays as it is, the fallback should the move fail.
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    db_.reset(db);
    if (rc != SQLITE_OK)
        throw StorageCopyError(Kind::Source, "cannot open database " + path + ": " +
                                                 (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    // One read transaction from here to the end: every table is read from the same snapshot.
    if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) fail(sqlite3_errmsg(db));
    integer("SELECT count(*) FROM sqlite_schema");
    check_schema();
}

void SqliteSource::check_schema() const {
    const auto version = integer("PRAGMA user_version");
    const std::string mine = std::to_string(kCopiedSqliteSchema);
    if (version == 0) fail("holds no otpd state (schema version 0)");
    if (version < kCopiedSqliteSchema)
        fail("its schema version " + std::to_string(version) + " is older than the one this kotp copies (" +
             mine + "): start the current otpd once on it (it migrates the file at start), stop it, and run "
             "migrate-storage again");
    if (version > kCopiedSqliteSchema)
        fail("its schema version " + std::to_string(version) + " is newer than this kotp-admin knows (" + mine +
             "): upgrade kotp-admin to the version of the otpd that wrote it");
    SqliteStatement check;
    prepare("PRAGMA quick_check(5)", check);
    std::string problems;
    for (int rc = sqlite3_step(check.get()); rc != SQLITE_DONE; rc = sqlite3_step(check.get())) {
        if (rc != SQLITE_ROW) {  // damage that stops the check itself
            problems += (problems.empty() ? "" : "; ") + error_text(rc);
            break;
        }
        const auto* row = reinterpret_cast<const char*>(sqlite3_column_text(check.get(), 0));
        std::string text = row != nullptr ? row : "";
        std::replace(text.begin(), text.end(), '\n', ' ');
        if (text != "ok") problems += (problems.empty() ? "" : "; ") + text;
    }
    if (!problems.empty())
        fail("the file is damaged (quick_check: " + problems + "): restore it from a backup before moving it");
}

// ---- the target: one libpq connection of our own, for COPY ----

// Closing rolls back whatever transaction is open.
struct PgCloser {
    void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};

class PgConnection {
public:
    PgConnection(const PgTarget& target, const std::string& description);

    [[noreturn]] void fail(const std::string& what, PGresult* result);
    // A statement without rows; returns its command tag.
    std::string command(const std::string& sql, const std::string& what);
    // A statement with one row of one number.
    std::int64_t number(const std::string& sql, const std::string& what);

    void begin_copy(const std::string& sql, const std::string& what);
    void put_copy(std::string& data);     // sends and empties `data`
    std::int64_t end_copy();              // the rows the server took
    void abort_copy(const std::string& why) noexcept;

private:
    [[noreturn]] void fail_copy();
    const std::string description_;
    std::string copy_what_;
    std::unique_ptr<PGconn, PgCloser> conn_;
    bool copying_ = false;
};

PgConnection::PgConnection(const PgTarget& target, const std::string& description) : description_(description) {
    // As PgSession::open: these defaults first, the administrator's string (expanded from dbname)
    // next, the password from its file last; libpq's .pgpass and peer authentication otherwise.
    std::vector<const char*> keys = {"connect_timeout", "fallback_application_name", "dbname"};
    std::vector<const char*> values = {"10", "kotp-admin migrate-storage", target.conninfo.c_str()};
    if (!target.password.empty()) {
        keys.push_back("password");
        values.push_back(target.password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!conn_) throw StorageCopyError(Kind::Target, "cannot connect to " + description_ + ": out of memory");
    if (PQstatus(conn_.get()) != CONNECTION_OK)
        throw StorageCopyError(Kind::Target,
                               "cannot connect to " + description_ + ": " + pg_one_line(PQerrorMessage(conn_.get())));
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
    // No statement timeout: a COPY of millions of audit rows is one statement. A lock held by
    // someone else is waited for 10 s at most. Text goes as UTF-8 (pg_storable_text).
    command("SET client_encoding = 'UTF8'; SET client_min_messages = warning; SET statement_timeout = 0; "
            "SET idle_in_transaction_session_timeout = 0; SET lock_timeout = '10s'",
            "setting up the session");
    // The commit is durable when the server says so, as otpd has it (PgSession::open).
    if (number("SELECT (current_setting('synchronous_commit') = 'off')::int", "reading settings") != 0)
        command("SET synchronous_commit = on", "setting up the session");
}

void PgConnection::fail(const std::string& what, PGresult* result) {
    std::string message = pg_one_line(result != nullptr ? PQresultErrorMessage(result) : "");
    if (message.empty()) message = pg_one_line(PQerrorMessage(conn_.get()));
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    if (state != nullptr) message += std::string(" (SQLSTATE ") + state + ")";
    if (state != nullptr && std::strcmp(state, "55P03") == 0)
        message += ": another session holds these tables; is an otpd node already using this database?";
    if (result != nullptr) PQclear(result);
    if (PQstatus(conn_.get()) != CONNECTION_OK)
        throw StorageCopyError(Kind::Target,
                               "the connection to " + description_ + " was lost during " + what + ": " + message);
    throw StorageCopyError(Kind::Target, "postgresql " + description_ + ", " + what + ": " + message);
}

std::string PgConnection::command(const std::string& sql, const std::string& what) {
    PGresult* r = PQexec(conn_.get(), sql.c_str());
    if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) fail(what, r);
    std::string tag = PQcmdStatus(r);
    PQclear(r);
    return tag;
}

std::int64_t PgConnection::number(const std::string& sql, const std::string& what) {
    PGresult* r = PQexec(conn_.get(), sql.c_str());
    if (r == nullptr || PQresultStatus(r) != PGRES_TUPLES_OK) fail(what, r);
    const std::int64_t n = PQntuples(r) == 1 && PQnfields(r) == 1 ? parse_count(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    if (n < 0) throw StorageCopyError(Kind::Target, "postgresql " + description_ + ", " + what + ": not a number");
    return n;
}

void PgConnection::begin_copy(const std::string& sql, const std::string& what) {
    copy_what_ = what;
    PGresult* r = PQexec(conn_.get(), sql.c_str());
    if (r == nullptr || PQresultStatus(r) != PGRES_COPY_IN) fail(what, r);
    PQclear(r);
    copying_ = true;
}

// The server stopped the COPY (a constraint, a lost connection): its error is in the results.
void PgConnection::fail_copy() {
    copying_ = false;
    PGresult* error = nullptr;
    while (PGresult* r = PQgetResult(conn_.get())) {
        const auto status = PQresultStatus(r);
        if (error == nullptr && status != PGRES_COMMAND_OK && status != PGRES_COPY_IN) {
            error = r;
            continue;
        }
        PQclear(r);
        if (status == PGRES_COPY_IN) break;  // libpq still in COPY: it would say so forever
    }
    fail(copy_what_, error);
}

void PgConnection::put_copy(std::string& data) {
    if (!data.empty() && PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size())) != 1) fail_copy();
    data.clear();
}

std::int64_t PgConnection::end_copy() {
    if (PQputCopyEnd(conn_.get(), nullptr) != 1) fail_copy();
    copying_ = false;
    PGresult* r = PQgetResult(conn_.get());
    if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) {
        while (PGresult* more = PQgetResult(conn_.get())) PQclear(more);
        fail(copy_what_, r);
    }
    const std::int64_t rows = parse_count(PQcmdTuples(r));
    PQclear(r);
    while (PGresult* more = PQgetResult(conn_.get())) PQclear(more);
    return rows;
}

void PgConnection::abort_copy(const std::string& why) noexcept {
    if (!copying_) return;
    copying_ = false;
    if (PQputCopyEnd(conn_.get(), why.c_str()) == 1)
        while (PGresult* r = PQgetResult(conn_.get())) PQclear(r);
}

// ---- one row of COPY's text format ----

// Backslash, tab, newline and carriage return are COPY's own characters in text format.
void append_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out.push_back(c);
        }
    }
}

void append_text(std::string& out, std::string_view text) {
    // ASCII without NUL is already what PostgreSQL's text holds; anything else goes through
    // pg_storable_text, as otpd's own writes do.
    if (std::all_of(text.begin(), text.end(), [](char c) {
            const auto byte = static_cast<unsigned char>(c);
            return byte != 0 && byte < 0x80;
        }))
        append_escaped(out, text);
    else
        append_escaped(out, pg_storable_text(text));
}

// bytea's input form \x<hex>, its backslash doubled for COPY.
void append_bytes(std::string& out, const unsigned char* p, std::size_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\\\x";
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(kHex[p[i] >> 4]);
        out.push_back(kHex[p[i] & 15]);
    }
}

void append_integer(std::string& out, std::int64_t v) {
    char buf[24];
    const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    out.append(buf, end);
}

const char* sqlite_type_name(int type) {
    switch (type) {
        case SQLITE_INTEGER: return "an integer";
        case SQLITE_FLOAT: return "a real number";
        case SQLITE_TEXT: return "text";
        case SQLITE_BLOB: return "a blob";
        default: return "NULL";
    }
}

// Column 0 of the statement is the row's key (for error messages); the table's fields follow.
void append_row(std::string& out, sqlite3_stmt* stmt, const TableSpec& t, const SqliteSource& source) {
    for (std::size_t i = 0; i < t.fields.size(); ++i) {
        const Field& f = t.fields[i];
        const int col = static_cast<int>(i) + 1;
        const int type = sqlite3_column_type(stmt, col);
        const bool fits = f.type == Column::Integer ? type == SQLITE_INTEGER : (type == SQLITE_TEXT || type == SQLITE_BLOB);
        if (!fits)
            source.fail(std::string("table ") + t.name + ", row " + std::to_string(sqlite3_column_int64(stmt, 0)) +
                        ": column " + f.sqlite + " holds " + sqlite_type_name(type) + ", which otpd never writes there");
        if (i > 0) out.push_back('\t');
        switch (f.type) {
            case Column::Integer: append_integer(out, sqlite3_column_int64(stmt, col)); break;
            case Column::Text: {
                const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
                append_text(out, std::string_view(p != nullptr ? p : "",
                                                  static_cast<std::size_t>(sqlite3_column_bytes(stmt, col))));
                break;
            }
            case Column::Bytes: {
                const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt, col));
                append_bytes(out, p, p != nullptr ? static_cast<std::size_t>(sqlite3_column_bytes(stmt, col)) : 0);
                break;
            }
        }
    }
    out.push_back('\n');
}

// Streams one table; returns the rows sent. The buffered rows hold no plain secret: sealed
// secrets (encrypted under master.key), salts and scrypt hashes only.
std::int64_t copy_table(const SqliteSource& source, PgConnection& pg, const TableSpec& t, std::int64_t total,
                        const CopyProgress& progress) {
    SqliteStatement select;
    // users and tokens have no rowid (schema version 5): their id names the row.
    source.prepare(std::string("SELECT ") + (t.identity ? "id" : "rowid") + ", " + column_list(t, &Field::sqlite) +
                       " FROM " + t.name,
                   select);
    pg.begin_copy("COPY " + std::string(t.name) + " (" + column_list(t, &Field::pg) + ") FROM STDIN",
                  std::string("copying table ") + t.name);
    std::string chunk;
    chunk.reserve(kCopyChunk + 64 * 1024);
    std::int64_t rows = 0;
    try {
        while (source.step(select)) {
            append_row(chunk, select.get(), t, source);
            if (chunk.size() >= kCopyChunk) pg.put_copy(chunk);
            if (++rows % kProgressRows == 0 && progress) progress(t.name, rows, total);
        }
        pg.put_copy(chunk);
    } catch (const StorageCopyError& e) {
        pg.abort_copy(e.what());
        throw;
    }
    const auto taken = pg.end_copy();
    if (taken != rows)
        throw StorageCopyError(Kind::Mismatch, std::string("table ") + t.name + ": " + std::to_string(rows) +
                                                   " rows sent, but PostgreSQL reports " + std::to_string(taken));
    if (progress) progress(t.name, rows, total);
    return rows;
}

// Refuses a target that holds anything: a copy merged into a live database would mix two
// states. Returns the rows of master_key_checks (key check values of nodes that ran on it).
std::int64_t check_target_empty(PgConnection& pg, const std::string& description) {
    std::string held;
    for (const auto& t : tables()) {
        const auto n = pg.number("SELECT count(*) FROM " + std::string(t.name), "counting the target's rows");
        if (n != 0) held += (held.empty() ? "" : ", ") + std::string(t.name) + " " + std::to_string(n);
    }
    if (!held.empty())
        throw StorageCopyError(Kind::TargetNotEmpty,
                               description + " is not empty (rows: " + held +
                                   "): migrate-storage copies into an empty database only, and changed nothing. "
                                   "Name a new database, or empty this one if nothing in it is needed");
    return pg.number("SELECT count(*) FROM master_key_checks", "counting the target's rows");
}

std::string table_names() {
    std::string out;
    for (const auto& t : tables()) out += (out.empty() ? "" : ", ") + std::string(t.name);
    return out;
}

bool has_password(const std::string& conninfo) {
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
    bool found = false;
    for (auto* o = options; o != nullptr && o->keyword != nullptr; ++o)
        if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr && o->val[0] != '\0') found = true;
    if (options != nullptr) PQconninfoFree(options);
    return found;
}

}  // namespace

std::string check_copy_target(const std::string& conninfo) {
    if (!looks_like_pg_conninfo(conninfo))
        return "must be a postgresql:// URL or a libpq key=value connection string";
    if (auto why = check_pg_conninfo(conninfo); !why.empty())
        return has_password(conninfo) ? "holds a password, which every user could read in ps: put it in a file "
                                        "(mode 0600) named by --password-file, or in ~/.pgpass"
                                      : why;
    return {};
}

StorageCopyReport copy_sqlite_to_pg(const std::string& sqlite_path, const PgTarget& target,
                                    const CopyProgress& progress) {
    const auto started = std::chrono::steady_clock::now();
    StorageCopyReport report;
    report.source = sqlite_path;
    report.target = describe_pg_conninfo(target.conninfo);

    // The source first: a file that cannot be copied costs the target nothing.
    const SqliteSource source(sqlite_path);
    std::vector<std::int64_t> source_rows;
    for (const auto& t : tables()) source_rows.push_back(source.integer("SELECT count(*) FROM " + std::string(t.name)));

    // The schema as otpd creates it (under its advisory lock, in a transaction of its own).
    {
        PgSession session(target);
        try {
            session.connect();
        } catch (const StoreError& e) {
            throw StorageCopyError(Kind::Target, pg_one_line(e.what()));
        }
        try {
            report.schema_found = pg_migrate(session);
        } catch (const StoreError& e) {
            throw StorageCopyError(Kind::Target, "creating otpd's schema: " + pg_one_line(e.what()));
        }
    }

    PgConnection pg(target, report.target);
    pg.command("BEGIN", "BEGIN");
    // Nobody else writes these tables until COMMIT: an otpd node that starts meanwhile waits.
    pg.command("LOCK TABLE " + table_names() + ", master_key_checks IN EXCLUSIVE MODE", "locking the tables");
    report.key_checks = check_target_empty(pg, report.target);

    const auto& specs = tables();
    for (std::size_t i = 0; i < specs.size(); ++i) {
        CopiedTable copied;
        copied.name = specs[i].name;
        copied.rows = copy_table(source, pg, specs[i], source_rows[i], progress);
        report.tables.push_back(std::move(copied));
    }
    // What the target now holds, counted inside the same transaction.
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const std::string name = specs[i].name;
        const auto n = pg.number("SELECT count(*) FROM " + name, "counting table " + name);
        if (n != source_rows[i] || report.tables[i].rows != source_rows[i])
            throw StorageCopyError(Kind::Mismatch,
                                   "table " + name + " holds " + std::to_string(source_rows[i]) + " rows in " +
                                       sqlite_path + " but " + std::to_string(n) + " in " + report.target +
                                       " after the copy (" + std::to_string(report.tables[i].rows) +
                                       " sent): rolled back, nothing was changed");
    }
    // The identity sequences start past the copied ids, so that otpd's next rows do not collide.
    // Last before COMMIT: setval is not undone by a rollback.
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (!specs[i].identity) continue;
        const std::string name = specs[i].name;
        report.tables[i].next_id =
            pg.number("SELECT setval(pg_get_serial_sequence('" + name + "', 'id'), COALESCE(max(id), 0) + 1, false) "
                      "FROM " + name,
                      "setting the id sequence of " + name);
    }
    if (const auto tag = pg.command("COMMIT", "COMMIT (if the connection was lost, whether the copy was committed "
                                              "is unknown: run migrate-storage again, it refuses a database that "
                                              "holds the copy)");
        tag != "COMMIT")
        throw StorageCopyError(Kind::Target, "postgresql " + report.target + ": the transaction was rolled back (" +
                                                 tag + "), nothing was changed");
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

}  // namespace kotp::otpd
