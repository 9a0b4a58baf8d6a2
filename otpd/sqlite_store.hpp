// The embedded default store: one SQLite file in WAL mode with synchronous=NORMAL and an
// fdatasync of the log before any reply (commit() outside a group, sync_committed() for a group;
// docs/PERFORMANCE.md has the argument). otpd is its only writer. Schema migrations are numbered
// (PRAGMA user_version) and run at open. A damaged file (PRAGMA quick_check) is refused, never
// rebuilt; after a file failure the connection is reopened by the next request (sqlite_store.cpp).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "store.hpp"
#include "wal_checkpointer.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace kotp::otpd {

class SqliteStore : public Store {  // not final: a test overrides after_sync
public:
    // Opens or creates the database (mode 0600) and migrates it. Throws StoreError.
    explicit SqliteStore(const std::string& path);
    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    int schema_version();

    void begin() override;
    void commit() override;
    void rollback() noexcept override;
    void begin_group() override;
    bool commit_group() override;
    void rollback_group() noexcept override;
    bool in_group() const noexcept override { return group_; }
    bool sync_committed(std::string& error) noexcept override;
    void sync_failed() noexcept override { needs_reopen_ = true; }
    void after_sync() noexcept override { checkpointer_.run_if_due(); }

    std::optional<UserRecord> find_user(std::string_view name) override;
    std::int64_t insert_user(const UserRecord& user) override;
    void update_user(const UserRecord& user) override;
    void delete_user(std::int64_t user_id) override;
    std::vector<std::pair<UserRecord, unsigned>> list_users(std::string_view after,
                                                            unsigned limit) override;

    std::vector<TokenRecord> tokens_of(std::int64_t user_id) override;
    std::int64_t insert_token(const TokenRecord& token) override;
    void update_token(const TokenRecord& token) override;

    void revoke_tokens(std::int64_t user_id) override;
    void set_activation(std::int64_t user_id, const ActivationRecord& record) override;
    std::optional<ActivationRecord> find_activation(std::int64_t user_id) override;
    void delete_activation(std::int64_t user_id) override;
    void replace_recovery_codes(std::int64_t user_id, const std::vector<std::uint8_t>& salt,
                                const std::vector<std::vector<std::uint8_t>>& hashes) override;
    RecoverySet recovery_codes(std::int64_t user_id) override;
    void use_recovery_code(std::int64_t code_id, std::int64_t when) override;
    void delete_recovery_codes(std::int64_t user_id) override;

    void append_audit(const AuditEntry& entry) override;
    std::vector<AuditEntry> audit_page(std::string_view user, std::int64_t since, std::int64_t before_id,
                                       unsigned limit) override;
    std::vector<AuditHour> audit_hours(std::int64_t from, std::int64_t to) override;
    std::int64_t purge_audit(std::int64_t before) override;
    UserCounts user_counts(std::int64_t now) override;

    void set_exemption(const ExemptionRecord& record) override;
    std::optional<ExemptionRecord> find_exemption(std::string_view user) override;
    bool delete_exemption(std::string_view user) override;

    void set_grace(std::int64_t user_id, std::string_view rhost, std::int64_t until) override;
    std::int64_t grace_until(std::int64_t user_id, std::string_view rhost) override;
    void delete_grace(std::int64_t user_id) override;

    std::vector<SealedSecret> sealed_secrets_not_under(std::uint32_t key_id, std::int64_t after_id,
                                                       unsigned limit) override;
    bool replace_sealed_secret(std::int64_t token_id, const std::vector<std::uint8_t>& old_blob,
                               const std::vector<std::uint8_t>& new_blob) override;
    std::map<std::uint32_t, std::int64_t> sealed_key_ids() override;
    void checkpoint() override;

private:
    class Statement;
    Statement& prepare(const char* sql);
    void exec(const char* sql);
    void migrate();
    void check_integrity();
    void sync_new_log();
    void probe_writable();
    // The connection: opened at start, closed after a file failure (disk full, read-only, I/O
    // error, damage), opened again by the next request that needs it.
    void open_connection();
    void close_connection() noexcept;
    void reopen_if_failed();
    // Throws StoreError for SQLite result `rc`; marks the connection for reopening if the file
    // or its file system failed.
    [[noreturn]] void fail(int rc, std::string message);

    sqlite3* db_ = nullptr;
    bool needs_reopen_ = false;
    bool group_ = false;           // a group transaction is open (begin_group)
    unsigned nested_ = 0;             // transactions open inside it, as savepoints
    long long changes_at_group_ = 0;  // sqlite3_total_changes64 when the group began
    std::string group_failure_;    // why the group can no longer commit; empty while it can
    std::string path_;
    std::map<const char*, std::unique_ptr<Statement>> statements_;
    WalCheckpointer checkpointer_{path_};  // after path_: initialised from it
};

}  // namespace kotp::otpd
