// The storage interface: everything otpd keeps, behind one small API so that the SQLite default
// and a shared PostgreSQL can give the same guarantees. Rules for every implementation:
//  - calls between begin() and commit() form one transaction that sees no other writer;
//  - commit() returns only once the transaction is durable (it survives a crash or power loss);
//  - any failure throws StoreError; the caller rolls back and answers "internal error",
//    never "success" on state it could not record.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "kotp/wire.hpp"

namespace kotp::otpd {

class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct UserRecord {
    std::int64_t id = 0;
    std::string name;
    wire::UserState state = wire::UserState::Active;
    unsigned failures = 0;        // consecutive failed verifications
    std::string reason;           // why suspended
    bool suspended_by_admin = false;  // an admin suspension never expires by lockout_duration
    std::int64_t suspended_at = 0;
    std::int64_t last_login = 0;
    std::int64_t created = 0;

    // Active again with a clean failure count (unlock, reset, an expired lockout).
    void lift_suspension() {
        state = wire::UserState::Active;
        failures = 0;
        reason.clear();
        suspended_by_admin = false;
        suspended_at = 0;
    }
};

struct TokenRecord {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    wire::TokenType type = wire::TokenType::Totp;
    wire::Algorithm algorithm = wire::Algorithm::Sha1;
    unsigned digits = 6;
    unsigned period = 30;
    wire::TokenState state = wire::TokenState::Pending;
    std::string label;
    std::vector<std::uint8_t> sealed_secret;  // SecretBox blob, never the secret itself
    std::int64_t last_step = -1;  // TOTP: last accepted time step (replay guard); -1 = none
    std::uint64_t counter = 0;    // HOTP: next counter value to accept
    std::int64_t drift = 0;       // TOTP: learned clock offset, in steps
    std::int64_t created = 0;
    std::int64_t last_used = 0;
};

struct ActivationRecord {
    std::vector<std::uint8_t> salt;
    std::vector<std::uint8_t> hash;  // hash_code(code, salt)
    std::int64_t expires = 0;
    std::int64_t created = 0;
};

struct RecoveryCodeRecord {
    std::int64_t id = 0;
    std::vector<std::uint8_t> hash;
};

struct RecoverySet {
    std::vector<std::uint8_t> salt;  // one per set: one slow hash per attempt checks every code
    std::vector<RecoveryCodeRecord> unused;
};

// An admin's exemption of one user from codes, by name (service accounts need no enrolment).
struct ExemptionRecord {
    std::string user;
    std::int64_t until = 0;  // Unix time; the exemption ends then
    std::string reason;
    std::int64_t created = 0;
    std::int64_t created_by = 0;  // the admin's uid
};

struct AuditEntry {
    std::int64_t id = 0;  // set by the store; append_audit ignores it
    std::int64_t time = 0;
    std::string user;
    std::string service;
    std::string rhost;
    std::string tty;
    std::string result;  // the message ID (KS1003 ...) or an admin action ("unlock")
    std::int64_t token_id = 0;
    std::string detail;  // never a code or a secret
};

// Users by state, for kotp-admin stats.
struct UserCounts {
    std::int64_t total = 0;
    std::int64_t active = 0;
    std::int64_t suspended = 0;
    std::int64_t exempt = 0;         // exemptions in force (by name: the user need not exist)
    std::int64_t without_token = 0;  // users with no active or pending token
};

// Login results of one hour of the audit table.
struct AuditHour {
    std::int64_t start = 0;  // Unix time, a multiple of 3600
    std::int64_t ok = 0;        // KS0000
    std::int64_t waived = 0;    // KS0001..KS0003
    std::int64_t failures = 0;  // KS1001..KS1007
};

// One sealed token secret and the owner its associated data binds it to, for a rekey.
struct SealedSecret {
    std::int64_t token_id = 0;
    std::string user;
    std::vector<std::uint8_t> blob;  // SecretBox blob
};

class Store {
public:
    virtual ~Store() = default;

    virtual void begin() = 0;
    virtual void commit() = 0;
    virtual void rollback() noexcept = 0;

    // Group commit (commit_group.hpp). Between begin_group() and commit_group(), begin() and
    // commit() nest inside the group: commit() makes nothing durable and commit_group() makes
    // all of them durable at once; the caller holds back every reply until it returns. A
    // rollback() undoes only its own transaction, unless the failure may have undone more (a file
    // failure): then the whole group fails and commit_group() throws. A store without groups
    // keeps these defaults, and every commit() is durable on its own.
    virtual void begin_group() {}
    // Returns whether the group changed anything (a group that only read needs no sync).
    virtual bool commit_group() { return true; }
    virtual void rollback_group() noexcept {}
    virtual bool in_group() const noexcept { return false; }

    // Durability apart from the commit (commit_group.hpp): commit_group() may return before the
    // group is on disk; sync_committed() then makes every group committed before the call
    // durable, and no reply of those groups may leave before it returns true. It may run on
    // another thread than every other call. A failed sync makes the store reopen (sync_failed).
    // A store whose commit_group() is durable keeps these defaults.
    virtual bool sync_committed(std::string& error) noexcept {
        (void)error;
        return true;
    }
    virtual void sync_failed() noexcept {}
    // Work that follows a successful sync, on the syncer thread, once that sync's replies have
    // been handed to the io thread: it never delays them (SQLite: the log's checkpoint).
    virtual void after_sync() noexcept {}

    virtual std::optional<UserRecord> find_user(std::string_view name) = 0;
    virtual std::int64_t insert_user(const UserRecord& user) = 0;
    // Writes state, failures, reason, suspended_by_admin, suspended_at, last_login.
    virtual void update_user(const UserRecord& user) = 0;
    virtual void delete_user(std::int64_t user_id) = 0;  // and its tokens; audit rows stay
    // Users with name > after, by name, at most limit; with their live (non-revoked) token count.
    virtual std::vector<std::pair<UserRecord, unsigned>> list_users(std::string_view after,
                                                                    unsigned limit) = 0;

    virtual std::vector<TokenRecord> tokens_of(std::int64_t user_id) = 0;  // non-revoked, by id
    virtual std::int64_t insert_token(const TokenRecord& token) = 0;
    // Writes state, last_step, counter, drift, last_used.
    virtual void update_token(const TokenRecord& token) = 0;

    // Revokes every token of the user and wipes their sealed secrets (the rows stay for the log).
    virtual void revoke_tokens(std::int64_t user_id) = 0;

    // One live activation code per user: set replaces, delete consumes or voids.
    virtual void set_activation(std::int64_t user_id, const ActivationRecord& record) = 0;
    virtual std::optional<ActivationRecord> find_activation(std::int64_t user_id) = 0;
    virtual void delete_activation(std::int64_t user_id) = 0;

    // A new set replaces every earlier code of the user.
    virtual void replace_recovery_codes(std::int64_t user_id, const std::vector<std::uint8_t>& salt,
                                        const std::vector<std::vector<std::uint8_t>>& hashes) = 0;
    virtual RecoverySet recovery_codes(std::int64_t user_id) = 0;
    virtual void use_recovery_code(std::int64_t code_id, std::int64_t when) = 0;
    virtual void delete_recovery_codes(std::int64_t user_id) = 0;

    virtual void append_audit(const AuditEntry& entry) = 0;
    // Audit rows, newest first: of `user` ("" = all), with time >= since, id < before_id (0: no
    // bound), at most limit.
    virtual std::vector<AuditEntry> audit_page(std::string_view user, std::int64_t since,
                                               std::int64_t before_id, unsigned limit) = 0;
    // Counts per hour of the rows with from <= time < to, oldest first; hours without a row are
    // left out.
    virtual std::vector<AuditHour> audit_hours(std::int64_t from, std::int64_t to) = 0;
    // Deletes the audit rows older than `before`; returns how many.
    virtual std::int64_t purge_audit(std::int64_t before) = 0;
    // Users by state; exemptions in force at `now`.
    virtual UserCounts user_counts(std::int64_t now) = 0;

    // Exemptions: one per user name; set replaces, delete says whether there was one.
    virtual void set_exemption(const ExemptionRecord& record) = 0;
    virtual std::optional<ExemptionRecord> find_exemption(std::string_view user) = 0;
    virtual bool delete_exemption(std::string_view user) = 0;

    // Grace: until when `user_id` may log in from `rhost` without a code (0: no grace). Kept in
    // the store so that every node sharing it honours the same grace.
    virtual void set_grace(std::int64_t user_id, std::string_view rhost, std::int64_t until) = 0;
    virtual std::int64_t grace_until(std::int64_t user_id, std::string_view rhost) = 0;
    virtual void delete_grace(std::int64_t user_id) = 0;  // every host (suspend, reset)

    // kotp-admin rekey. Every sealed secret (tokens of any state but revoked, whose blobs are
    // wiped) with token id > after_id whose blob is not under key_id, by token id, at most limit.
    virtual std::vector<SealedSecret> sealed_secrets_not_under(std::uint32_t key_id, std::int64_t after_id,
                                                               unsigned limit) = 0;
    // Writes new_blob if the row still holds old_blob; says whether it did.
    virtual bool replace_sealed_secret(std::int64_t token_id, const std::vector<std::uint8_t>& old_blob,
                                       const std::vector<std::uint8_t>& new_blob) = 0;
    // How many sealed secrets each master key id seals.
    virtual std::map<std::uint32_t, std::int64_t> sealed_key_ids() = 0;
    // A check value of a master key (master_key.hpp: key_check_value), kept where several otpd
    // share the store: returns the value stored for key_id, storing `mine` first if there is none.
    // A node whose key file differs from the one that sealed the shared secrets then refuses to
    // start, rather than sealing secrets the other nodes cannot open. A store one otpd alone uses
    // keeps this default.
    virtual std::vector<std::uint8_t> key_check(std::uint32_t key_id, const std::vector<std::uint8_t>& mine) {
        (void)key_id;
        return mine;
    }
    // Moves committed pages out of the write-ahead log and empties it, so that images of pages
    // a rekey rewrote (old blobs) do not linger there. A no-op where there is no such log.
    virtual void checkpoint() = 0;
};

// Runs a transaction and rolls it back if the scope is left without commit().
class Transaction {
public:
    explicit Transaction(Store& store) : store_(store) { store_.begin(); }
    ~Transaction() {
        if (!done_) store_.rollback();
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit() {
        store_.commit();
        done_ = true;
    }

private:
    Store& store_;
    bool done_ = false;
};

}  // namespace kotp::otpd
