// The shared store: PostgreSQL through libpq, for several login nodes whose otpd must share one
// lockout, one replay guard, one grace and one set of exemptions (docs/CLUSTER.md).
//
// Every transaction runs in READ COMMITTED and find_user() locks the user's row (SELECT ... FOR
// UPDATE): two nodes checking codes of one user take turns, and the second reads the counter,
// the last step and the failure count the first committed. Every other write is keyed by that
// user (tokens, codes, grace), is an upsert (exemptions), a compare-and-swap (rekey) or an
// insert (audit). commit() returns once PostgreSQL reports the commit, which with
// synchronous_commit on (otpd turns it on if the server has it off) is after the WAL flush, on
// a synchronous standby too if one is configured. There are no groups: each commit stands alone.
#pragma once

#include "pg_session.hpp"
#include "store.hpp"

namespace kotp::otpd {

class PgStore final : public Store {
public:
    // Connects and migrates the schema. Throws StoreError.
    explicit PgStore(PgTarget target);

    const std::string& description() const { return session_.description(); }

    void begin() override;
    void commit() override;
    void rollback() noexcept override;
    // Each commit() is durable on its own: a group's replies wait for nothing more.
    bool commit_group() override { return false; }

    std::optional<UserRecord> find_user(std::string_view name) override;
    std::int64_t insert_user(const UserRecord& user) override;
    void update_user(const UserRecord& user) override;
    void delete_user(std::int64_t user_id) override;
    std::vector<std::pair<UserRecord, unsigned>> list_users(std::string_view after, unsigned limit) override;

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
    std::vector<std::uint8_t> key_check(std::uint32_t key_id, const std::vector<std::uint8_t>& mine) override;
    // PostgreSQL keeps old row versions until VACUUM; docs/CLUSTER.md says what a rekey then needs.
    void checkpoint() override {}

    PgSession& session() { return session_; }

private:
    PgSession session_;
};

}  // namespace kotp::otpd
