#include "pg_session.hpp"

#include <endian.h>
#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "kotp/wipe.hpp"

namespace kotp::otpd {
namespace {

constexpr unsigned kInt8Oid = 20;
constexpr unsigned kTextOid = 25;
constexpr unsigned kByteaOid = 17;

// The longest otpd waits for an answer, beyond the server's own statement_timeout (10 s).
constexpr auto kAnswerDeadline = std::chrono::seconds(15);

// After a failed connection attempt, the next one waits this long.
constexpr auto kReconnectPause = std::chrono::seconds(1);

// Timeouts of the session. A statement or a row lock that takes longer is an outage, answered
// "service unavailable" (fail closed), rather than a login that hangs; a transaction left open
// by a node that froze releases its row locks.
constexpr const char* kSessionSettings =
    "SET statement_timeout = '10s'; SET lock_timeout = '5s'; "
    "SET idle_in_transaction_session_timeout = '60s'; SET client_min_messages = warning";

// Length of the UTF-8 sequence at s[i], or 0 if it is not one (or is NUL).
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return 0;
    if (c < 0x80) return 1;
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto d = static_cast<unsigned char>(s[i + k]);
        if ((d & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (d & 0x3fu);
    }
    const bool overlong = (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

}  // namespace

std::string pg_one_line(std::string_view s) {
    std::string out;
    for (const char c : s) {
        const bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
        if (space && (out.empty() || out.back() == ' ')) continue;
        out.push_back(space ? ' ' : c);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

bool looks_like_pg_conninfo(std::string_view conninfo) {
    return conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://") ||
           conninfo.find('=') != std::string_view::npos;
}

// PostgreSQL's text holds no NUL and, in a UTF8 database, only valid UTF-8. A host name or a tty
// from PAM may hold anything; such bytes are stored as \xNN, as the log shows them.
std::string pg_storable_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        if (const auto n = utf8_length(s, i); n > 0) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        static constexpr char kHex[] = "0123456789abcdef";
        const auto c = static_cast<unsigned char>(s[i++]);
        out += "\\x";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
    return out;
}

namespace {

struct ConninfoOptions {
    PQconninfoOption* options = nullptr;
    std::string error;
    explicit ConninfoOptions(const std::string& conninfo) {
        char* message = nullptr;
        options = PQconninfoParse(conninfo.c_str(), &message);
        if (options == nullptr) error = message != nullptr ? pg_one_line(message) : "out of memory";
        if (message != nullptr) PQfreemem(message);
    }
    ~ConninfoOptions() {
        if (options != nullptr) PQconninfoFree(options);
    }
    ConninfoOptions(const ConninfoOptions&) = delete;
    ConninfoOptions& operator=(const ConninfoOptions&) = delete;
    std::string value(std::string_view keyword) const {
        for (auto* o = options; o != nullptr && o->keyword != nullptr; ++o)
            if (keyword == o->keyword && o->val != nullptr) return o->val;
        return {};
    }
};

}  // namespace

PgTarget::~PgTarget() { wipe(password); }

std::string check_pg_conninfo(const std::string& conninfo) {
    const ConninfoOptions parsed(conninfo);
    if (parsed.options == nullptr) return "is not a PostgreSQL connection string or URL: " + parsed.error;
    if (!parsed.value("password").empty())
        return "holds a password: put it in a file named by storage_password_file (mode 0640 or "
               "stricter), so that it is in no configuration others may read and on no command line";
    return {};
}

std::string describe_pg_conninfo(const std::string& conninfo) {
    const ConninfoOptions parsed(conninfo);
    if (parsed.options == nullptr) return "postgresql (unparsable connection string)";
    std::string host = parsed.value("host");
    if (host.empty()) host = parsed.value("hostaddr");
    std::string out = "postgresql://";
    if (const auto user = parsed.value("user"); !user.empty()) out += user + "@";
    out += host.empty() ? "localhost" : host;
    if (const auto port = parsed.value("port"); !port.empty()) out += ":" + port;
    out += "/" + parsed.value("dbname");
    return out;
}

PgParams& PgParams::add(std::int64_t v) {
    const std::uint64_t be = htobe64(static_cast<std::uint64_t>(v));
    types_.push_back(kInt8Oid);
    values_.emplace_back(reinterpret_cast<const char*>(&be), sizeof be);
    return *this;
}

PgParams& PgParams::add(std::string_view text) {
    types_.push_back(kTextOid);
    values_.push_back(pg_storable_text(text));
    return *this;
}

PgParams& PgParams::add(const std::vector<std::uint8_t>& bytes) {
    types_.push_back(kByteaOid);
    values_.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return *this;
}

PgResult::~PgResult() {
    if (result_ != nullptr) PQclear(result_);
}

int PgResult::rows() const { return PQntuples(result_); }

std::int64_t PgResult::integer(int row, int col) const {
    if (PQgetisnull(result_, row, col)) return 0;
    const char* p = PQgetvalue(result_, row, col);
    switch (PQgetlength(result_, row, col)) {
        case 8: {
            std::uint64_t v = 0;
            std::memcpy(&v, p, 8);
            return static_cast<std::int64_t>(be64toh(v));
        }
        case 4: {
            std::uint32_t v = 0;
            std::memcpy(&v, p, 4);
            return static_cast<std::int32_t>(be32toh(v));
        }
        case 2: {
            std::uint16_t v = 0;
            std::memcpy(&v, p, 2);
            return static_cast<std::int16_t>(be16toh(v));
        }
        case 1: return static_cast<unsigned char>(p[0]);  // boolean
        default: throw StoreError("postgresql: a number column of unexpected size");
    }
}

std::string PgResult::text(int row, int col) const {
    return std::string(PQgetvalue(result_, row, col), static_cast<std::size_t>(PQgetlength(result_, row, col)));
}

std::vector<std::uint8_t> PgResult::bytes(int row, int col) const {
    const auto* p = reinterpret_cast<const std::uint8_t*>(PQgetvalue(result_, row, col));
    return std::vector<std::uint8_t>(p, p + PQgetlength(result_, row, col));
}

std::int64_t PgResult::affected() const { return std::atoll(PQcmdTuples(result_)); }

PgSession::PgSession(PgTarget target)
    : target_(std::move(target)), description_(describe_pg_conninfo(target_.conninfo)) {}

PgSession::~PgSession() { disconnect(); }

bool PgSession::connected() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

bool PgSession::in_transaction() const {
    if (conn_ == nullptr) return false;
    const auto s = PQtransactionStatus(conn_);
    return s == PQTRANS_INTRANS || s == PQTRANS_INERROR;
}

void PgSession::disconnect() noexcept {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    prepared_.clear();
}

void PgSession::connect() {
    if (connected()) return;
    disconnect();
    if (std::chrono::steady_clock::now() < retry_after_) throw StoreError(last_connect_error_);
    try {
        open();
    } catch (const StoreError& e) {
        disconnect();
        last_connect_error_ = e.what();
        retry_after_ = std::chrono::steady_clock::now() + kReconnectPause;
        throw;
    }
}

void PgSession::open() {
    // Keywords are applied in order and a later one wins: these defaults first, the
    // administrator's string (expanded from dbname) next, the password from its file last.
    std::vector<const char*> keys = {"connect_timeout", "keepalives",        "keepalives_idle",
                                     "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                                     "fallback_application_name", "dbname"};
    std::vector<const char*> values = {"5", "1", "10", "3", "3", "10000", "otpd", target_.conninfo.c_str()};
    if (!target_.password.empty()) {
        keys.push_back("password");
        values.push_back(target_.password.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
    if (conn_ == nullptr) throw StoreError("cannot connect to " + description_ + ": out of memory");
    if (PQstatus(conn_) != CONNECTION_OK)
        throw StoreError("cannot connect to " + description_ + ": " + pg_one_line(PQerrorMessage(conn_)));
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    exec(kSessionSettings);
    // A standby takes no writes: every login would fail on its first row. Say so at once.
    if (run("SELECT pg_is_in_recovery()").integer(0, 0) != 0)
        throw StoreError(description_ + " is a read-only standby: name the primary, or list every "
                         "node with target_session_attrs=read-write so that libpq finds it");
    // Durable before the reply: a server set to synchronous_commit=off would acknowledge commits
    // a crash can lose. Stricter settings (remote_write, remote_apply for a standby) are kept.
    if (run("SELECT current_setting('synchronous_commit')").text(0, 0) == "off") exec("SET synchronous_commit = on");
}

void PgSession::fail(const std::string& what, pg_result* result) {
    std::string message = pg_one_line(result != nullptr ? PQresultErrorMessage(result) : "");
    if (message.empty() && conn_ != nullptr) message = pg_one_line(PQerrorMessage(conn_));
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    if (state != nullptr) message += std::string(" (SQLSTATE ") + state + ")";
    if (result != nullptr) PQclear(result);
    if (conn_ != nullptr && PQstatus(conn_) != CONNECTION_OK) {
        disconnect();
        throw StoreError("the connection to " + description_ + " was lost during " + what + ": " + message);
    }
    throw StoreError("postgresql " + description_ + ", " + what + ": " + message);
}

// Waits for the results of what was sent, at most kAnswerDeadline: a server that froze (its
// kernel still acknowledging, so no TCP timeout fires) must not hold the io thread for ever. Keeps
// the first error, else the last result; nullptr if the connection broke.
PGresult* PgSession::collect(const char* what) {
    const auto deadline = std::chrono::steady_clock::now() + kAnswerDeadline;
    PGresult* kept = nullptr;
    for (;;) {
        while (PQisBusy(conn_) != 0) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                if (kept != nullptr) PQclear(kept);
                disconnect();
                throw StoreError(std::string("no answer from ") + description_ + " to " + what + " within " +
                                 std::to_string(kAnswerDeadline.count()) + " s; the connection was closed");
            }
            pollfd p{PQsocket(conn_), POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
            if (PQconsumeInput(conn_) == 0) break;
        }
        PGresult* r = PQgetResult(conn_);
        if (r == nullptr) return kept;
        const auto status = PQresultStatus(r);
        const bool error = status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK;
        const bool kept_error =
            kept != nullptr && PQresultStatus(kept) != PGRES_COMMAND_OK && PQresultStatus(kept) != PGRES_TUPLES_OK;
        if (kept_error) {
            PQclear(r);
            continue;
        }
        if (kept != nullptr) PQclear(kept);
        kept = r;
        if (error && PQstatus(conn_) != CONNECTION_OK) return kept;
    }
}

PgResult PgSession::run(const char* sql, const PgParams& params) {
    connect();
    const auto n = static_cast<int>(params.values_.size());
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
        const std::string name = "kotp_" + std::to_string(prepared_.size());
        if (PQsendPrepare(conn_, name.c_str(), sql, n, params.types_.data()) == 0) fail("preparing a statement", nullptr);
        PGresult* r = collect("preparing a statement");
        if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) fail("preparing a statement", r);
        PQclear(r);
        it = prepared_.emplace(sql, name).first;
    }
    std::vector<const char*> values;
    std::vector<int> lengths;
    const std::vector<int> formats(params.values_.size(), 1);
    for (const auto& v : params.values_) {
        values.push_back(v.data());
        lengths.push_back(static_cast<int>(v.size()));
    }
    if (PQsendQueryPrepared(conn_, it->second.c_str(), n, values.data(), lengths.data(), formats.data(), 1) == 0)
        fail("a statement", nullptr);
    PGresult* r = collect("a statement");
    const auto status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail("a statement", r);
    return PgResult(r);
}

std::string PgSession::exec(const char* sql) {
    connect();
    if (PQsendQuery(conn_, sql) == 0) fail("a statement", nullptr);
    PGresult* r = collect("a statement");
    const auto status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail("a statement", r);
    std::string tag = PQcmdStatus(r);
    PQclear(r);
    return tag;
}

void PgSession::rollback() noexcept {
    if (conn_ == nullptr) return;
    if (PQstatus(conn_) != CONNECTION_OK) {
        disconnect();
        return;
    }
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
    try {
        if (PQsendQuery(conn_, "ROLLBACK") == 0) {
            disconnect();
            return;
        }
        if (PGresult* r = collect("ROLLBACK"); r != nullptr) PQclear(r);
    } catch (const StoreError&) {
        // collect() closed the connection, which ends the transaction on the server too.
    }
    if (conn_ != nullptr && PQstatus(conn_) != CONNECTION_OK) disconnect();
}

}  // namespace kotp::otpd
