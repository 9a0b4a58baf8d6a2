// The permission table, the order of requests, and failing closed when state cannot be recorded.
#include "fixture.hpp"

namespace kotp::otpd::testing {
namespace {

using wire::MessageType;
using wire::Status;

// A store whose commit fails on demand, as on a full or read-only disk.
class FailingStore final : public Store {
public:
    explicit FailingStore(Store& inner) : inner_(inner) {}
    bool fail_commit = false;
    void begin() override { inner_.begin(); }
    void commit() override {
        if (fail_commit) throw StoreError("disk I/O error (injected)");
        inner_.commit();
    }
    void rollback() noexcept override { inner_.rollback(); }
    std::optional<UserRecord> find_user(std::string_view n) override { return inner_.find_user(n); }
    std::int64_t insert_user(const UserRecord& u) override { return inner_.insert_user(u); }
    void update_user(const UserRecord& u) override { inner_.update_user(u); }
    void delete_user(std::int64_t id) override { inner_.delete_user(id); }
    std::vector<std::pair<UserRecord, unsigned>> list_users(std::string_view a, unsigned l) override {
        return inner_.list_users(a, l);
    }
    std::vector<TokenRecord> tokens_of(std::int64_t id) override { return inner_.tokens_of(id); }
    std::int64_t insert_token(const TokenRecord& t) override { return inner_.insert_token(t); }
    void update_token(const TokenRecord& t) override { inner_.update_token(t); }
    void append_audit(const AuditEntry& e) override { inner_.append_audit(e); }
    std::vector<AuditEntry> audit_page(std::string_view u, std::int64_t since, std::int64_t before,
                                       unsigned limit) override {
        return inner_.audit_page(u, since, before, limit);
    }
    std::vector<AuditHour> audit_hours(std::int64_t from, std::int64_t to) override {
        return inner_.audit_hours(from, to);
    }
    std::int64_t purge_audit(std::int64_t before) override { return inner_.purge_audit(before); }
    UserCounts user_counts(std::int64_t now) override { return inner_.user_counts(now); }
    void revoke_tokens(std::int64_t id) override { inner_.revoke_tokens(id); }
    void set_activation(std::int64_t id, const ActivationRecord& r) override { inner_.set_activation(id, r); }
    std::optional<ActivationRecord> find_activation(std::int64_t id) override { return inner_.find_activation(id); }
    void delete_activation(std::int64_t id) override { inner_.delete_activation(id); }
    void replace_recovery_codes(std::int64_t id, const std::vector<std::uint8_t>& salt,
                                const std::vector<std::vector<std::uint8_t>>& hashes) override {
        inner_.replace_recovery_codes(id, salt, hashes);
    }
    RecoverySet recovery_codes(std::int64_t id) override { return inner_.recovery_codes(id); }
    void use_recovery_code(std::int64_t id, std::int64_t when) override { inner_.use_recovery_code(id, when); }
    void delete_recovery_codes(std::int64_t id) override { inner_.delete_recovery_codes(id); }
    void set_exemption(const ExemptionRecord& r) override { inner_.set_exemption(r); }
    std::optional<ExemptionRecord> find_exemption(std::string_view u) override { return inner_.find_exemption(u); }
    bool delete_exemption(std::string_view u) override { return inner_.delete_exemption(u); }
    void set_grace(std::int64_t id, std::string_view h, std::int64_t t) override { inner_.set_grace(id, h, t); }
    std::int64_t grace_until(std::int64_t id, std::string_view h) override { return inner_.grace_until(id, h); }
    void delete_grace(std::int64_t id) override { inner_.delete_grace(id); }
    std::vector<SealedSecret> sealed_secrets_not_under(std::uint32_t key_id, std::int64_t after,
                                                       unsigned limit) override {
        return inner_.sealed_secrets_not_under(key_id, after, limit);
    }
    bool replace_sealed_secret(std::int64_t id, const std::vector<std::uint8_t>& old_blob,
                               const std::vector<std::uint8_t>& new_blob) override {
        return inner_.replace_sealed_secret(id, old_blob, new_blob);
    }
    std::map<std::uint32_t, std::int64_t> sealed_key_ids() override { return inner_.sealed_key_ids(); }
    void checkpoint() override { inner_.checkpoint(); }

private:
    Store& inner_;
};

class RequestHandlerTest : public OtpdCore {
protected:
    template <typename Message>
    HandlerResult send(const Peer& peer, SessionState& state, const Message& m) {
        const auto frame = wire::encode_frame(m);
        return handler->handle(peer, state, Message::kType, std::span(frame).subspan(wire::kHeaderSize));
    }
    static MessageType type_of(const HandlerResult& r) {
        return static_cast<MessageType>((r.reply.at(6) << 8) | r.reply.at(7));
    }
    static Status error_status(const HandlerResult& r) {
        wire::ErrorReply e;
        EXPECT_EQ(wire::decode_payload(std::span(r.reply).subspan(wire::kHeaderSize), e), wire::DecodeError::None);
        return e.status;
    }
    static wire::AuthStep step_of(const HandlerResult& r) {
        wire::AuthStep s;
        EXPECT_EQ(wire::decode_payload(std::span(r.reply).subspan(wire::kHeaderSize), s), wire::DecodeError::None);
        return s;
    }
    Peer stranger{65534, 65534, 42};  // nobody
};

TEST_F(RequestHandlerTest, NonRootCannotRunAdminCommands) {
    SessionState state;
    const auto r = send(stranger, state, wire::AdminShow{"alice"});
    EXPECT_EQ(type_of(r), MessageType::Error);
    EXPECT_EQ(error_status(r), Status::PermissionDenied);
    EXPECT_TRUE(r.close);
}

TEST_F(RequestHandlerTest, NonRootCannotVerifyForAnotherUser) {
    enroll("alice");
    SessionState state;
    const auto r = send(stranger, state, wire::AuthBegin{"alice", "sshd", "", ""});
    EXPECT_EQ(error_status(r), Status::PermissionDenied);
    EXPECT_TRUE(r.close);
}

TEST_F(RequestHandlerTest, RootLoginGoesPromptThenResult) {
    const auto e = enroll("alice");
    SessionState state;
    auto r = send(root, state, wire::AuthBegin{"alice", "sshd", "192.0.2.1", "ssh"});
    ASSERT_EQ(type_of(r), MessageType::AuthStep);
    EXPECT_EQ(step_of(r).outcome, wire::Outcome::Prompt);
    EXPECT_FALSE(r.close);
    wire::AuthAnswer answer;
    answer.response = code_at(e, clock.now());
    r = send(root, state, answer);
    EXPECT_EQ(step_of(r).outcome, wire::Outcome::Success);
    EXPECT_TRUE(r.close);
}

// Only an AuthBegin's prompt may leave before its group is durable (session.cpp): it decides
// nothing. Every verdict, a refusal at BEGIN included, waits for the disk.
TEST_F(RequestHandlerTest, OnlyTheBeginPromptLeavesBeforeTheDisk) {
    const auto e = enroll("alice");
    SessionState wrong;
    auto r = send(root, wrong, wire::AuthBegin{"alice", "sshd", "192.0.2.1", "ssh"});
    ASSERT_EQ(step_of(r).outcome, wire::Outcome::Prompt);
    EXPECT_FALSE(r.decides);
    wire::AuthAnswer answer;
    answer.response = code_at(e, clock.now()) == "000000" ? "111111" : "000000";
    r = send(root, wrong, answer);
    EXPECT_EQ(step_of(r).outcome, wire::Outcome::Failure);
    EXPECT_TRUE(r.decides) << "a counted failure left before it was durable";

    SessionState right;
    ASSERT_FALSE(send(root, right, wire::AuthBegin{"alice", "sshd", "192.0.2.1", "ssh"}).decides);
    answer.response = code_at(e, clock.now());
    r = send(root, right, answer);
    EXPECT_EQ(step_of(r).outcome, wire::Outcome::Success);
    EXPECT_TRUE(r.decides) << "an accepted code left before it was durable";

    SessionState unknown;
    r = send(root, unknown, wire::AuthBegin{"nobody-here", "sshd", "192.0.2.1", "ssh"});
    EXPECT_NE(step_of(r).outcome, wire::Outcome::Prompt);
    EXPECT_TRUE(r.decides);

    SessionState suspend;
    ASSERT_EQ(type_of(send(root, suspend, wire::AdminSuspend{"alice", "test"})), MessageType::Done);
    SessionState suspended;
    r = send(root, suspended, wire::AuthBegin{"alice", "sshd", "192.0.2.1", "ssh"});
    EXPECT_EQ(step_of(r).outcome, wire::Outcome::Failure);
    EXPECT_TRUE(r.decides) << "a refusal at BEGIN left before it was durable";
}

TEST_F(RequestHandlerTest, OutOfOrderRequestsAreProtocolErrors) {
    enroll("alice");
    SessionState state;
    EXPECT_EQ(error_status(send(root, state, wire::AuthAnswer{})), Status::ProtocolError);
    SessionState login;
    send(root, login, wire::AuthBegin{"alice", "sshd", "", ""});
    EXPECT_EQ(error_status(send(root, login, wire::AdminShow{"alice"})), Status::ProtocolError);
    SessionState again;
    send(root, again, wire::AuthBegin{"alice", "sshd", "", ""});
    EXPECT_EQ(error_status(send(root, again, wire::AuthBegin{"alice", "sshd", "", ""})), Status::ProtocolError);
}

TEST_F(RequestHandlerTest, UnknownTypesAndMalformedPayloadsAreRefused) {
    SessionState state;
    const std::uint8_t junk[] = {0, 3, 'a', 'b'};
    auto r = handler->handle(root, state, static_cast<MessageType>(77), junk);
    EXPECT_EQ(error_status(r), Status::ProtocolError);
    r = handler->handle(root, state, MessageType::AdminShow, junk);  // truncated string
    EXPECT_EQ(error_status(r), Status::ProtocolError);
}

TEST_F(RequestHandlerTest, InvalidUserNamesAreRefusedClearly) {
    SessionState state;
    const auto r = send(root, state, wire::AuthBegin{"al ice;rm -rf /", "sshd", "", ""});
    EXPECT_EQ(step_of(r).status, Status::InvalidArgument);
    wire::AdminEnroll enroll_request;
    enroll_request.user = "$(reboot)";
    SessionState admin_state;
    EXPECT_EQ(error_status(send(root, admin_state, enroll_request)), Status::InvalidArgument);
}

TEST_F(RequestHandlerTest, NoSuccessIsAnsweredForStateThatCouldNotBeRecorded) {
    const auto e = enroll("alice");
    FailingStore failing(*store);
    Verifier failing_verifier(failing, *box, random, clock, config);
    RequestHandler failing_handler(failing_verifier, *admin, authorizer);
    SessionState state;
    auto frame = wire::encode_frame(wire::AuthBegin{"alice", "sshd", "", ""});
    ASSERT_EQ(step_of(failing_handler.handle(root, state, MessageType::AuthBegin,
                                             std::span(frame).subspan(wire::kHeaderSize)))
                  .outcome,
              wire::Outcome::Prompt);
    failing.fail_commit = true;
    wire::AuthAnswer answer;
    answer.response = code_at(e, clock.now());
    frame = wire::encode_frame(answer);
    const auto r = failing_handler.handle(root, state, MessageType::AuthAnswer,
                                          std::span(frame).subspan(wire::kHeaderSize));
    const auto step = step_of(r);
    EXPECT_EQ(step.outcome, wire::Outcome::Failure);
    EXPECT_EQ(step.status, Status::InternalError);
    // Nothing was recorded: the same code still works once the disk is back.
    EXPECT_EQ(verify("alice", answer.response).outcome, wire::Outcome::Success);
}

TEST_F(RequestHandlerTest, AdminCommandsOnUnknownUsers) {
    SessionState state;
    EXPECT_EQ(error_status(send(root, state, wire::AdminShow{"ghost"})), Status::UnknownUser);
    EXPECT_EQ(error_status(send(root, state, wire::AdminUnlock{"ghost"})), Status::UnknownUser);
    EXPECT_EQ(error_status(send(root, state, wire::AdminRemove{"ghost"})), Status::UnknownUser);
}

TEST_F(RequestHandlerTest, TheEleventhTokenIsRefused) {
    for (int i = 0; i < 10; ++i) enroll("alice");
    wire::AdminEnroll request;
    request.user = "alice";
    SessionState state;
    EXPECT_EQ(error_status(send(root, state, request)), Status::TokenLimit);
}

}  // namespace
}  // namespace kotp::otpd::testing
