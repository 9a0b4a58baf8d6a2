#include "pg_store.hpp"

#include "pg_schema.hpp"
#include "secret_box.hpp"

namespace kotp::otpd {
namespace {

using P = PgParams;

std::int64_t i64(unsigned v) { return static_cast<std::int64_t>(v); }

template <typename E>
std::int64_t i64(E v) {
    return static_cast<std::int64_t>(v);
}

constexpr const char* kUserColumns =
    "id, name, state, failures, reason, suspended_by_admin, suspended_at, last_login, created";

UserRecord read_user(const PgResult& r, int row) {
    UserRecord u;
    u.id = r.integer(row, 0);
    u.name = r.text(row, 1);
    u.state = r.integer(row, 2) == 1 ? wire::UserState::Suspended : wire::UserState::Active;
    u.failures = static_cast<unsigned>(r.integer(row, 3));
    u.reason = r.text(row, 4);
    u.suspended_by_admin = r.integer(row, 5) != 0;
    u.suspended_at = r.integer(row, 6);
    u.last_login = r.integer(row, 7);
    u.created = r.integer(row, 8);
    return u;
}

}  // namespace

PgStore::PgStore(PgTarget target) : session_(std::move(target)) {
    session_.connect();
    pg_migrate(session_);
}

void PgStore::begin() {
    try {
        session_.exec("BEGIN");
    } catch (const StoreError&) {
        // A connection the server dropped (a restart, a failover) shows only when used. Nothing
        // of this transaction ran yet, so one new connection and one more BEGIN are safe.
        if (session_.connected()) throw;
        session_.exec("BEGIN");
    }
}

void PgStore::commit() {
    // The tag is ROLLBACK when the server had already aborted the transaction.
    if (const auto tag = session_.exec("COMMIT"); tag != "COMMIT")
        throw StoreError("postgresql " + session_.description() + ": the transaction was rolled back (" + tag + ")");
}

void PgStore::rollback() noexcept { session_.rollback(); }

std::optional<UserRecord> PgStore::find_user(std::string_view name) {
    static const std::string sql = std::string("SELECT ") + kUserColumns + " FROM users WHERE name = $1 FOR UPDATE";
    const auto r = session_.run(sql.c_str(), P().add(name));
    if (r.rows() == 0) return std::nullopt;
    return read_user(r, 0);
}

std::int64_t PgStore::insert_user(const UserRecord& user) {
    const auto r = session_.run(
        "INSERT INTO users (name, state, failures, created) VALUES ($1, $2, $3, $4) RETURNING id",
        P().add(user.name).add(i64(user.state)).add(i64(user.failures)).add(user.created));
    return r.integer(0, 0);
}

void PgStore::update_user(const UserRecord& user) {
    session_.run(
        "UPDATE users SET state = $2, failures = $3, reason = $4, suspended_by_admin = $5, "
        "suspended_at = $6, last_login = $7 WHERE id = $1",
        P().add(user.id)
            .add(i64(user.state))
            .add(i64(user.failures))
            .add(user.reason)
            .add(std::int64_t{user.suspended_by_admin ? 1 : 0})
            .add(user.suspended_at)
            .add(user.last_login));
}

void PgStore::delete_user(std::int64_t user_id) { session_.run("DELETE FROM users WHERE id = $1", P().add(user_id)); }

std::vector<std::pair<UserRecord, unsigned>> PgStore::list_users(std::string_view after, unsigned limit) {
    static const std::string sql = std::string("SELECT ") + kUserColumns +
                                   ", (SELECT count(*) FROM tokens t WHERE t.user_id = users.id AND t.state <> 3) "
                                   "FROM users WHERE name > $1 ORDER BY name LIMIT $2";
    const auto r = session_.run(sql.c_str(), P().add(after).add(i64(limit)));
    std::vector<std::pair<UserRecord, unsigned>> out;
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(read_user(r, i), static_cast<unsigned>(r.integer(i, 9)));
    return out;
}

std::vector<TokenRecord> PgStore::tokens_of(std::int64_t user_id) {
    const auto r = session_.run(
        "SELECT id, user_id, type, algorithm, digits, period, state, label, sealed_secret, "
        "last_step, counter, drift, created, last_used FROM tokens "
        "WHERE user_id = $1 AND state <> 3 ORDER BY id",
        P().add(user_id));
    std::vector<TokenRecord> out;
    for (int i = 0; i < r.rows(); ++i) {
        TokenRecord t;
        t.id = r.integer(i, 0);
        t.user_id = r.integer(i, 1);
        t.type = static_cast<wire::TokenType>(r.integer(i, 2));
        t.algorithm = static_cast<wire::Algorithm>(r.integer(i, 3));
        t.digits = static_cast<unsigned>(r.integer(i, 4));
        t.period = static_cast<unsigned>(r.integer(i, 5));
        t.state = static_cast<wire::TokenState>(r.integer(i, 6));
        t.label = r.text(i, 7);
        t.sealed_secret = r.bytes(i, 8);
        t.last_step = r.integer(i, 9);
        t.counter = static_cast<std::uint64_t>(r.integer(i, 10));
        t.drift = r.integer(i, 11);
        t.created = r.integer(i, 12);
        t.last_used = r.integer(i, 13);
        out.push_back(std::move(t));
    }
    return out;
}

std::int64_t PgStore::insert_token(const TokenRecord& t) {
    const auto r = session_.run(
        "INSERT INTO tokens (user_id, type, algorithm, digits, period, state, label, sealed_secret, "
        "last_step, counter, drift, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
        "RETURNING id",
        P().add(t.user_id)
            .add(i64(t.type))
            .add(i64(t.algorithm))
            .add(i64(t.digits))
            .add(i64(t.period))
            .add(i64(t.state))
            .add(t.label)
            .add(t.sealed_secret)
            .add(t.last_step)
            .add(static_cast<std::int64_t>(t.counter))
            .add(t.drift)
            .add(t.created));
    return r.integer(0, 0);
}

void PgStore::update_token(const TokenRecord& t) {
    session_.run(
        "UPDATE tokens SET state = $2, last_step = $3, counter = $4, drift = $5, last_used = $6 WHERE id = $1",
        P().add(t.id).add(i64(t.state)).add(t.last_step).add(static_cast<std::int64_t>(t.counter)).add(t.drift).add(
            t.last_used));
}

void PgStore::revoke_tokens(std::int64_t user_id) {
    session_.run("UPDATE tokens SET state = 3, sealed_secret = '' WHERE user_id = $1", P().add(user_id));
}

void PgStore::set_activation(std::int64_t user_id, const ActivationRecord& r) {
    session_.run(
        "INSERT INTO activation_codes (user_id, salt, hash, expires, created) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (user_id) DO UPDATE SET salt = EXCLUDED.salt, hash = EXCLUDED.hash, "
        "expires = EXCLUDED.expires, created = EXCLUDED.created",
        P().add(user_id).add(r.salt).add(r.hash).add(r.expires).add(r.created));
}

std::optional<ActivationRecord> PgStore::find_activation(std::int64_t user_id) {
    const auto r =
        session_.run("SELECT salt, hash, expires, created FROM activation_codes WHERE user_id = $1", P().add(user_id));
    if (r.rows() == 0) return std::nullopt;
    return ActivationRecord{r.bytes(0, 0), r.bytes(0, 1), r.integer(0, 2), r.integer(0, 3)};
}

void PgStore::delete_activation(std::int64_t user_id) {
    session_.run("DELETE FROM activation_codes WHERE user_id = $1", P().add(user_id));
}

void PgStore::replace_recovery_codes(std::int64_t user_id, const std::vector<std::uint8_t>& salt,
                                     const std::vector<std::vector<std::uint8_t>>& hashes) {
    delete_recovery_codes(user_id);
    session_.run("INSERT INTO recovery_sets (user_id, salt) VALUES ($1, $2)", P().add(user_id).add(salt));
    for (const auto& h : hashes)
        session_.run("INSERT INTO recovery_codes (user_id, hash) VALUES ($1, $2)", P().add(user_id).add(h));
}

RecoverySet PgStore::recovery_codes(std::int64_t user_id) {
    RecoverySet out;
    const auto set = session_.run("SELECT salt FROM recovery_sets WHERE user_id = $1", P().add(user_id));
    if (set.rows() == 0) return out;
    out.salt = set.bytes(0, 0);
    const auto r =
        session_.run("SELECT id, hash FROM recovery_codes WHERE user_id = $1 AND used_at = 0 ORDER BY id", P().add(user_id));
    for (int i = 0; i < r.rows(); ++i) out.unused.push_back({r.integer(i, 0), r.bytes(i, 1)});
    return out;
}

void PgStore::use_recovery_code(std::int64_t code_id, std::int64_t when) {
    session_.run("UPDATE recovery_codes SET used_at = $2 WHERE id = $1", P().add(code_id).add(when));
}

void PgStore::delete_recovery_codes(std::int64_t user_id) {
    session_.run("DELETE FROM recovery_codes WHERE user_id = $1", P().add(user_id));
    session_.run("DELETE FROM recovery_sets WHERE user_id = $1", P().add(user_id));
}

void PgStore::append_audit(const AuditEntry& e) {
    session_.run(
        "INSERT INTO audit (time, user_name, service, rhost, tty, result, token_id, detail) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        P().add(e.time).add(e.user).add(e.service).add(e.rhost).add(e.tty).add(e.result).add(e.token_id).add(e.detail));
}

std::vector<AuditEntry> PgStore::audit_page(std::string_view user, std::int64_t since, std::int64_t before_id,
                                            unsigned limit) {
    const auto r = session_.run(
        "SELECT id, time, user_name, service, rhost, tty, result, token_id, detail FROM audit "
        "WHERE ($1 = '' OR user_name = $1) AND time >= $2 AND ($3 = 0 OR id < $3) ORDER BY id DESC LIMIT $4",
        P().add(user).add(since).add(before_id).add(i64(limit)));
    std::vector<AuditEntry> out;
    for (int i = 0; i < r.rows(); ++i) {
        AuditEntry e;
        e.id = r.integer(i, 0);
        e.time = r.integer(i, 1);
        e.user = r.text(i, 2);
        e.service = r.text(i, 3);
        e.rhost = r.text(i, 4);
        e.tty = r.text(i, 5);
        e.result = r.text(i, 6);
        e.token_id = r.integer(i, 7);
        e.detail = r.text(i, 8);
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<AuditHour> PgStore::audit_hours(std::int64_t from, std::int64_t to) {
    // result is in the C collation: message IDs compare as in SQLite, and admin actions ("unlock")
    // fall in none of the ranges.
    const auto r = session_.run(
        "SELECT time / 3600 * 3600 AS hour, count(*) FILTER (WHERE result = 'KS0000'), "
        "count(*) FILTER (WHERE result BETWEEN 'KS0001' AND 'KS0003'), "
        "count(*) FILTER (WHERE result BETWEEN 'KS1001' AND 'KS1007') "
        "FROM audit WHERE time >= $1 AND time < $2 GROUP BY hour ORDER BY hour",
        P().add(from).add(to));
    std::vector<AuditHour> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({r.integer(i, 0), r.integer(i, 1), r.integer(i, 2), r.integer(i, 3)});
    return out;
}

std::int64_t PgStore::purge_audit(std::int64_t before) {
    return session_.run("DELETE FROM audit WHERE time < $1", P().add(before)).affected();
}

UserCounts PgStore::user_counts(std::int64_t now) {
    UserCounts c;
    const auto r = session_.run(
        "SELECT count(*), count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 1), "
        "count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM tokens t WHERE t.user_id = users.id AND t.state <> 3)) "
        "FROM users");
    c.total = r.integer(0, 0);
    c.active = r.integer(0, 1);
    c.suspended = r.integer(0, 2);
    c.without_token = r.integer(0, 3);
    c.exempt = session_.run("SELECT count(*) FROM exemptions WHERE until > $1", P().add(now)).integer(0, 0);
    return c;
}

void PgStore::set_exemption(const ExemptionRecord& r) {
    session_.run(
        "INSERT INTO exemptions (user_name, until, reason, created, created_by) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (user_name) DO UPDATE SET until = EXCLUDED.until, reason = EXCLUDED.reason, "
        "created = EXCLUDED.created, created_by = EXCLUDED.created_by",
        P().add(r.user).add(r.until).add(r.reason).add(r.created).add(r.created_by));
}

std::optional<ExemptionRecord> PgStore::find_exemption(std::string_view user) {
    const auto r = session_.run(
        "SELECT user_name, until, reason, created, created_by FROM exemptions WHERE user_name = $1", P().add(user));
    if (r.rows() == 0) return std::nullopt;
    return ExemptionRecord{r.text(0, 0), r.integer(0, 1), r.text(0, 2), r.integer(0, 3), r.integer(0, 4)};
}

bool PgStore::delete_exemption(std::string_view user) {
    return session_.run("DELETE FROM exemptions WHERE user_name = $1", P().add(user)).affected() > 0;
}

void PgStore::set_grace(std::int64_t user_id, std::string_view rhost, std::int64_t until) {
    session_.run(
        "INSERT INTO grace (user_id, rhost, until) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id, rhost) DO UPDATE SET until = EXCLUDED.until",
        P().add(user_id).add(rhost).add(until));
}

std::int64_t PgStore::grace_until(std::int64_t user_id, std::string_view rhost) {
    const auto r = session_.run("SELECT until FROM grace WHERE user_id = $1 AND rhost = $2", P().add(user_id).add(rhost));
    return r.rows() == 0 ? 0 : r.integer(0, 0);
}

void PgStore::delete_grace(std::int64_t user_id) { session_.run("DELETE FROM grace WHERE user_id = $1", P().add(user_id)); }

std::vector<SealedSecret> PgStore::sealed_secrets_not_under(std::uint32_t key_id, std::int64_t after_id,
                                                            unsigned limit) {
    const auto prefix = SecretBox::key_id_prefix(key_id);
    const std::vector<std::uint8_t> id_bytes(prefix.begin(), prefix.end());
    const auto r = session_.run(
        "SELECT t.id, u.name, t.sealed_secret FROM tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.id > $1 AND length(t.sealed_secret) > 0 AND substring(t.sealed_secret FROM 1 FOR 4) <> $2 "
        "ORDER BY t.id LIMIT $3",
        P().add(after_id).add(id_bytes).add(i64(limit)));
    std::vector<SealedSecret> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({r.integer(i, 0), r.text(i, 1), r.bytes(i, 2)});
    return out;
}

bool PgStore::replace_sealed_secret(std::int64_t token_id, const std::vector<std::uint8_t>& old_blob,
                                    const std::vector<std::uint8_t>& new_blob) {
    return session_
               .run("UPDATE tokens SET sealed_secret = $3 WHERE id = $1 AND sealed_secret = $2",
                    P().add(token_id).add(old_blob).add(new_blob))
               .affected() > 0;
}

std::map<std::uint32_t, std::int64_t> PgStore::sealed_key_ids() {
    const auto r = session_.run(
        "SELECT substring(sealed_secret FROM 1 FOR 4) AS key_id, count(*) FROM tokens "
        "WHERE length(sealed_secret) > 0 GROUP BY key_id");
    std::map<std::uint32_t, std::int64_t> out;
    for (int i = 0; i < r.rows(); ++i) out[SecretBox::key_id_of(r.bytes(i, 0))] += r.integer(i, 1);
    return out;
}

std::vector<std::uint8_t> PgStore::key_check(std::uint32_t key_id, const std::vector<std::uint8_t>& mine) {
    session_.run(
        "INSERT INTO master_key_checks (key_id, check_value) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING",
        P().add(static_cast<std::int64_t>(key_id)).add(mine));
    const auto r = session_.run("SELECT check_value FROM master_key_checks WHERE key_id = $1",
                                P().add(static_cast<std::int64_t>(key_id)));
    return r.rows() == 0 ? mine : r.bytes(0, 0);
}

}  // namespace kotp::otpd
