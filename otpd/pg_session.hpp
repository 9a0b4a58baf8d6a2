// One libpq connection for otpd's io thread: connection with timeouts, statements prepared once
// per connection, binary parameters and results, and a new connection after the server went
// away (a restart, a failover). Every failure throws StoreError with libpq's own words.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store.hpp"

struct pg_conn;
struct pg_result;

namespace kotp::otpd {

// Where the database is: a libpq URL or key=value string without a password, and the password
// read from storage_password_file (may be empty: peer, cert or .pgpass authentication).
struct PgTarget {
    std::string conninfo;
    std::string password;
    PgTarget() = default;
    PgTarget(std::string info, std::string pass) : conninfo(std::move(info)), password(std::move(pass)) {}
    PgTarget(const PgTarget&) = default;
    PgTarget& operator=(const PgTarget&) = default;
    ~PgTarget();
};

// libpq's messages on one line (they end in a newline and may go on "\n\tIs the server
// running..." or with DETAIL and HINT lines): whitespace runs become one space.
std::string pg_one_line(std::string_view message);

// Whether a setting has the form of a PostgreSQL target: a postgresql:// (or postgres://) URL or
// a libpq key=value string. check_pg_conninfo() then says whether libpq takes it.
bool looks_like_pg_conninfo(std::string_view conninfo);

// Checks a storage setting before anything connects: libpq must parse it, and it must not carry a
// password (that belongs in storage_password_file, readable by otpd alone). Returns "" or why not.
std::string check_pg_conninfo(const std::string& conninfo);

// The conninfo with the host, port, user and database only, for log lines.
std::string describe_pg_conninfo(const std::string& conninfo);

// Text as PostgreSQL's text can hold it: bytes that are NUL or not UTF-8 become \xNN (as the log
// shows them). Every text parameter goes through this.
std::string pg_storable_text(std::string_view text);

// Parameters of one statement, sent in binary: bigint, text or bytea.
class PgParams {
public:
    PgParams& add(std::int64_t v);
    PgParams& add(std::string_view text);  // bytes PostgreSQL's text cannot hold are escaped (\xNN)
    PgParams& add(const std::vector<std::uint8_t>& bytes);

private:
    friend class PgSession;
    std::vector<unsigned> types_;
    std::vector<std::string> values_;
};

// A result in binary format; columns are bigint (or integer), text or bytea.
class PgResult {
public:
    explicit PgResult(pg_result* result) : result_(result) {}
    ~PgResult();
    PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
    PgResult(const PgResult&) = delete;
    PgResult& operator=(const PgResult&) = delete;
    PgResult& operator=(PgResult&&) = delete;

    int rows() const;
    std::int64_t integer(int row, int col) const;
    std::string text(int row, int col) const;
    std::vector<std::uint8_t> bytes(int row, int col) const;
    std::int64_t affected() const;  // rows an INSERT, UPDATE or DELETE touched

private:
    pg_result* result_;
};

class PgSession {
public:
    explicit PgSession(PgTarget target);
    ~PgSession();
    PgSession(const PgSession&) = delete;
    PgSession& operator=(const PgSession&) = delete;

    // Connects if there is no connection. After a failed attempt the next one waits a second, and
    // calls in between fail at once with the same error: a dead server must not cost every
    // request a connect timeout on the io thread.
    void connect();
    bool connected() const;
    bool in_transaction() const;
    void disconnect() noexcept;

    // A statement, prepared on first use on this connection and kept (by its text).
    PgResult run(const char* sql, const PgParams& params = {});
    // Plain SQL, several statements allowed (migrations); returns the last command's tag
    // ("COMMIT", or "ROLLBACK" for a COMMIT of a failed transaction).
    std::string exec(const char* sql);
    // ROLLBACK if a transaction is open; never throws.
    void rollback() noexcept;

    const std::string& description() const { return description_; }

private:
    [[noreturn]] void fail(const std::string& what, pg_result* result);
    void open();
    pg_result* collect(const char* what);

    PgTarget target_;
    std::string description_;
    pg_conn* conn_ = nullptr;
    std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
    std::chrono::steady_clock::time_point retry_after_{};
    std::string last_connect_error_;
};

}  // namespace kotp::otpd
