// kotp-admin log and stats in otpd: paging and filters of the audit table, the per-hour counts
// and users by state, the detail cut to the wire's cap, and the retention purge, all with the
// fake clock.
#include <gtest/gtest.h>

#include "audit_retention.hpp"
#include "config.hpp"
#include "fixture.hpp"

namespace kotp::otpd::testing {
namespace {

constexpr std::int64_t kHour = 3600;

class AuditTest : public OtpdCore {
protected:
    void add_row(std::int64_t time, const std::string& user, const std::string& result,
                 const std::string& detail = {}) {
        Transaction txn(*store);
        AuditEntry e;
        e.time = time;
        e.user = user;
        e.service = "sshd";
        e.rhost = "192.0.2.7";
        e.result = result;
        e.detail = detail;
        store->append_audit(e);
        txn.commit();
    }

    template <typename Reply>
    Reply decoded(const ReplyFrame& frame) {
        Reply reply;
        EXPECT_GE(frame.size(), wire::kHeaderSize);
        EXPECT_EQ(frame.at(7), static_cast<std::uint8_t>(Reply::kType));
        EXPECT_EQ(wire::decode_payload(std::span(frame).subspan(wire::kHeaderSize), reply),
                  wire::DecodeError::None);
        return reply;
    }

    wire::AuditPage page(const std::string& user, std::int64_t since, std::int64_t before_id, std::uint16_t limit) {
        wire::AdminLog request;
        request.user = user;
        request.since = since;
        request.before_id = before_id;
        request.limit = limit;
        return decoded<wire::AuditPage>(admin->log(request));
    }

    wire::Stats stats(std::uint16_t hours) {
        wire::AdminStats request;
        request.hours = hours;
        return decoded<wire::Stats>(admin->stats(request));
    }
};

TEST_F(AuditTest, LoginsAndAdminActionsAreRowsWithTheirMessageIdNewestFirst) {
    const auto e = enroll("alice");
    const auto t0 = clock.now();
    EXPECT_EQ(verify("alice", code_at(e, t0)).status, wire::Status::Ok);
    EXPECT_EQ(verify("alice", code_at(e, t0)).status, wire::Status::CodeAlreadyUsed);
    clock.advance(30);
    std::string wrong = code_at(e, clock.now());
    wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
    EXPECT_EQ(verify("alice", wrong).status, wire::Status::WrongCode);
    admin->unlock(Peer{0, 0, 42}, wire::AdminUnlock{"alice"});

    const auto all = page("", 0, 0, wire::kMaxAuditPage);
    EXPECT_FALSE(all.more);
    ASSERT_EQ(all.entries.size(), 5u);  // enroll, KS0000, KS1004, KS1003, unlock
    EXPECT_EQ(all.entries[0].result, "unlock");
    EXPECT_EQ(all.entries[0].service, "kotp-admin");
    EXPECT_EQ(all.entries[0].detail.rfind("by uid 0", 0), 0u) << all.entries[0].detail;
    EXPECT_EQ(all.entries[1].result, "KS1003");
    EXPECT_EQ(all.entries[1].rhost, "192.0.2.7");
    EXPECT_EQ(all.entries[1].service, "sshd");
    EXPECT_NE(all.entries[1].detail.find("failure 1 of 5"), std::string::npos) << all.entries[1].detail;
    EXPECT_EQ(all.entries[2].result, "KS1004");
    EXPECT_EQ(all.entries[3].result, "KS0000");
    EXPECT_EQ(all.entries[3].token_id, e.token_id);
    EXPECT_EQ(all.entries[4].result, "enroll");
    for (std::size_t i = 1; i < all.entries.size(); ++i) EXPECT_LT(all.entries[i].id, all.entries[i - 1].id);
}

TEST_F(AuditTest, PagesBackwardsAndFiltersByUserAndTime) {
    const auto t0 = clock.now();
    for (int i = 0; i < 7; ++i) add_row(t0 + i * 60, i % 2 == 0 ? "alice" : "bob", "KS0000", std::to_string(i));

    // Pages of 3, backwards: 6 5 4 | 3 2 1 | 0.
    auto first = page("", 0, 0, 3);
    ASSERT_EQ(first.entries.size(), 3u);
    EXPECT_TRUE(first.more);
    EXPECT_EQ(first.entries[0].detail, "6");
    auto second = page("", 0, first.entries.back().id, 3);
    ASSERT_EQ(second.entries.size(), 3u);
    EXPECT_TRUE(second.more);
    EXPECT_EQ(second.entries[0].detail, "3");
    auto third = page("", 0, second.entries.back().id, 3);
    ASSERT_EQ(third.entries.size(), 1u);
    EXPECT_FALSE(third.more);
    EXPECT_EQ(third.entries[0].detail, "0");

    const auto alice = page("alice", 0, 0, wire::kMaxAuditPage);
    ASSERT_EQ(alice.entries.size(), 4u);
    for (const auto& e : alice.entries) EXPECT_EQ(e.user, "alice");

    const auto recent = page("", t0 + 4 * 60, 0, wire::kMaxAuditPage);  // rows 4, 5, 6
    ASSERT_EQ(recent.entries.size(), 3u);
    EXPECT_EQ(recent.entries.back().detail, "4");
    const auto recent_bob = page("bob", t0 + 4 * 60, 0, wire::kMaxAuditPage);
    ASSERT_EQ(recent_bob.entries.size(), 1u);
    EXPECT_EQ(recent_bob.entries[0].detail, "5");

    EXPECT_TRUE(page("carol", 0, 0, 5).entries.empty());

    wire::AdminLog bad;
    bad.user = "-rf";
    const auto refused = admin->log(bad);
    EXPECT_EQ(refused.at(7), static_cast<std::uint8_t>(wire::MessageType::Error));
}

TEST_F(AuditTest, ALongDetailIsCutToTheWireCapOnACharacterBoundary) {
    std::string detail(wire::kMaxAuditDetail - 1, 'x');
    detail += "\xc3\xa9\xc3\xa9 and more";  // an é straddles the cap
    add_row(clock.now(), "alice", "KS1003", detail);
    const auto p = page("alice", 0, 0, 1);
    ASSERT_EQ(p.entries.size(), 1u);
    EXPECT_EQ(p.entries[0].detail, std::string(wire::kMaxAuditDetail - 1, 'x'));
}

TEST_F(AuditTest, StatsCountUsersByStateAndLoginsPerHour) {
    clock.set(1'700'000'000 / kHour * kHour + 1800);  // half past an hour
    const auto now = clock.now();
    const auto hour = now / kHour * kHour;
    enroll("alice");
    enroll("bob");
    admin->suspend(root, wire::AdminSuspend{"bob", "left"});
    admin->exempt(root, wire::AdminExempt{"svc", now + 86400, "service account"});
    admin->exempt(root, wire::AdminExempt{"old", now + 10, ""});
    {
        Transaction txn(*store);
        UserRecord carol;
        carol.name = "carol";
        carol.created = now;
        store->insert_user(carol);  // a user without a token
        txn.commit();
    }
    // This hour: 2 ok, 1 exempt, 1 grace, 3 failures (KS1001, KS1003, KS1007); KS1010 and admin
    // actions are not logins. Two hours ago: 1 ok, 1 KS1005. Far back: outside the window.
    add_row(hour + 1, "alice", "KS0000");
    add_row(hour + 2, "alice", "KS0000");
    add_row(hour + 3, "alice", "KS0001");
    add_row(hour + 4, "alice", "KS0002");
    add_row(hour + 5, "dave", "KS1001");
    add_row(hour + 6, "alice", "KS1003");
    add_row(hour + 7, "alice", "KS1007");
    add_row(hour + 8, "alice", "KS1010");
    add_row(hour - 2 * kHour + 10, "alice", "KS0000");
    add_row(hour - 2 * kHour + 20, "bob", "KS1005");
    add_row(hour - 30 * kHour, "alice", "KS0000");
    clock.advance(20);  // "old" exemption has run out

    const auto s = stats(3);
    EXPECT_EQ(s.users_total, 3u);
    EXPECT_EQ(s.users_active, 2u);
    EXPECT_EQ(s.users_suspended, 1u);
    EXPECT_EQ(s.users_exempt, 1u);
    EXPECT_EQ(s.users_without_token, 1u);
    ASSERT_EQ(s.hours.size(), 3u);
    EXPECT_EQ(s.hours[0].start, hour - 2 * kHour);
    EXPECT_EQ(s.hours[0].logins_ok, 1u);
    EXPECT_EQ(s.hours[0].failures, 1u);
    EXPECT_EQ(s.hours[1].start, hour - kHour);
    EXPECT_EQ(s.hours[1].logins_ok + s.hours[1].waived + s.hours[1].failures, 0u);
    EXPECT_EQ(s.hours[2].start, hour);
    EXPECT_EQ(s.hours[2].logins_ok, 2u);
    EXPECT_EQ(s.hours[2].waived, 2u);
    EXPECT_EQ(s.hours[2].failures, 3u);

    const auto week = stats(wire::kMaxStatsHours);
    ASSERT_EQ(week.hours.size(), wire::kMaxStatsHours);
    std::uint32_t ok = 0;
    for (const auto& h : week.hours) ok += h.logins_ok;
    EXPECT_EQ(ok, 4u);  // the row 30 hours back counts now
}

TEST_F(AuditTest, RetentionPurgesOnlyRowsOlderThanItAndZeroKeepsAll) {
    const auto now = clock.now();
    add_row(now - 200 * 86400, "alice", "KS0000", "old");
    add_row(now - 181 * 86400, "alice", "KS1003", "old");
    add_row(now - 179 * 86400, "alice", "KS0000", "kept");
    add_row(now, "alice", "KS0000", "kept");

    EXPECT_EQ(purge_expired_audit(*store, clock, std::chrono::seconds(0)), 0);
    EXPECT_EQ(page("", 0, 0, 10).entries.size(), 4u);

    EXPECT_EQ(purge_expired_audit(*store, clock, config.audit_retention), 2);  // 180d by default
    const auto left = page("", 0, 0, 10);
    ASSERT_EQ(left.entries.size(), 2u);
    for (const auto& e : left.entries) EXPECT_EQ(e.detail, "kept");
    EXPECT_EQ(purge_expired_audit(*store, clock, config.audit_retention), 0);

    clock.advance(2 * 86400);
    EXPECT_EQ(purge_expired_audit(*store, clock, config.audit_retention), 1);
}

TEST(AuditRetentionConfig, DefaultZeroAndAtLeastADay) {
    Config config;
    EXPECT_EQ(config.audit_retention, std::chrono::hours(180 * 24));
    EXPECT_FALSE(parse_config("audit_retention = 30d\n", "t", config));
    EXPECT_EQ(config.audit_retention, std::chrono::hours(30 * 24));
    Config forever;
    EXPECT_FALSE(parse_config("audit_retention = 0\n", "t", forever));
    EXPECT_EQ(forever.audit_retention.count(), 0);
    for (const char* bad : {"audit_retention = 12h\n", "audit_retention = 1\n", "audit_retention = soon\n"}) {
        Config c;
        const auto error = parse_config(bad, "t", c);
        ASSERT_TRUE(error) << bad;
        EXPECT_NE(error->message.find("audit_retention"), std::string::npos) << error->message;
    }
}

TEST_F(AuditTest, LogAndStatsAreForAdminsOnly) {
    const Peer user{12345, 12345, 7};
    for (const auto type : {wire::MessageType::AdminLog, wire::MessageType::AdminStats}) {
        SessionState state;
        const auto payload = type == wire::MessageType::AdminLog ? wire::encode_frame(wire::AdminLog{})
                                                                 : wire::encode_frame(wire::AdminStats{});
        const auto result = handler->handle(user, state, type, std::span(payload).subspan(wire::kHeaderSize));
        wire::ErrorReply error = decoded<wire::ErrorReply>(result.reply);
        EXPECT_EQ(error.status, wire::Status::PermissionDenied) << wire::to_string(type);

        SessionState root_state;
        const auto ok = handler->handle(root, root_state, type, std::span(payload).subspan(wire::kHeaderSize));
        EXPECT_EQ(ok.reply.at(7), static_cast<std::uint8_t>(type == wire::MessageType::AdminLog
                                                                  ? wire::MessageType::AuditPage
                                                                  : wire::MessageType::Stats));
    }
}

}  // namespace
}  // namespace kotp::otpd::testing
