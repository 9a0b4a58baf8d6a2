#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "kotp/codec.hpp"
#include "kotp/messages.hpp"
#include "kotp/wire.hpp"


#include "codec_test_helpers.hpp"

namespace {

using namespace kotp::wire;
using namespace kotp::wire::testing;

// ---------------------------------------------------------------------------------------------
// Header rejections.

TEST(ParseHeader, Accepts) {
    FrameHeader h;
    EXPECT_EQ(header_of(header_bytes(0, kProtocolVersion, 2), h, kMaxRequestPayload),
              DecodeError::None);
    EXPECT_EQ(h.payload_length, 0U);
    EXPECT_EQ(h.type, MessageType::AuthAnswer);
    EXPECT_EQ(
        header_of(header_bytes(kMaxRequestPayload, kProtocolVersion, 1), h, kMaxRequestPayload),
        DecodeError::None);
    EXPECT_EQ(h.payload_length, kMaxRequestPayload);
}

TEST(ParseHeader, RejectsBadVersion) {
    FrameHeader h;
    // The versions either side of ours, and ours byte-swapped.
    for (const std::uint16_t version : std::array<std::uint16_t, 5>{
             0, kProtocolVersion - 1, kProtocolVersion + 1,
             static_cast<std::uint16_t>(kProtocolVersion << 8), 0xffff})
        EXPECT_EQ(header_of(header_bytes(4, version, 1), h), DecodeError::BadVersion) << version;
}

TEST(ParseHeader, RejectsPayloadOverTheCap) {
    FrameHeader h;
    EXPECT_EQ(header_of(header_bytes(0xffffffffU, kProtocolVersion, 1), h, kMaxRequestPayload),
              DecodeError::TooLong);
    EXPECT_EQ(h.payload_length, 0xffffffffU);  // a 4 GiB claim is refused before any allocation
    EXPECT_EQ(header_of(header_bytes(0x80000000U, kProtocolVersion, 1), h), DecodeError::TooLong);
    EXPECT_EQ(
        header_of(header_bytes(kMaxRequestPayload + 1, kProtocolVersion, 1), h, kMaxRequestPayload),
        DecodeError::TooLong);
    EXPECT_EQ(
        header_of(header_bytes(kMaxReplyPayload + 1, kProtocolVersion, 128), h, kMaxReplyPayload),
        DecodeError::TooLong);
}

TEST(ParseHeader, TypeIsNotChecked) {
    // The receiver decides which types it accepts; the header parser only reports the value.
    FrameHeader h;
    EXPECT_EQ(header_of(header_bytes(0, kProtocolVersion, 0xbeef), h), DecodeError::None);
    EXPECT_EQ(static_cast<std::uint16_t>(h.type), 0xbeef);
}

// ---------------------------------------------------------------------------------------------
// Payload rejections.

TEST(Decode, NulInString) {
    Writer w;
    put_raw_string(w, std::string("al\0ce", 5));
    put_raw_string(w, "sshd");
    put_raw_string(w, "");
    put_raw_string(w, "");
    EXPECT_EQ(decode<AuthBegin>(w.bytes()), DecodeError::NulInString);

    Writer answer;
    put_raw_string(answer, std::string("12345\0", 6));
    EXPECT_EQ(decode<AuthAnswer>(answer.bytes()), DecodeError::NulInString);

    Writer done;
    put_raw_string(done, std::string(1, '\0'));
    EXPECT_EQ(decode<Done>(done.bytes()), DecodeError::NulInString);
}

TEST(Decode, StringOverItsLimit) {
    Writer w;
    put_raw_string(w, std::string(kMaxUserName + 1, 'u'));
    put_raw_string(w, "");
    put_raw_string(w, "");
    put_raw_string(w, "");
    EXPECT_EQ(decode<AuthBegin>(w.bytes()), DecodeError::TooLong);

    Writer service;
    put_raw_string(service, "alice");
    put_raw_string(service, std::string(kMaxService + 1, 's'));
    put_raw_string(service, "");
    put_raw_string(service, "");
    EXPECT_EQ(decode<AuthBegin>(service.bytes()), DecodeError::TooLong);

    Writer answer;
    put_raw_string(answer, std::string(kMaxResponse + 1, '1'));
    EXPECT_EQ(decode<AuthAnswer>(answer.bytes()), DecodeError::TooLong);

    // The length alone is enough: the limit is checked before the bytes are looked for.
    Writer claim;
    claim.put_u16(0xffff);
    EXPECT_EQ(decode<AuthAnswer>(claim.bytes()), DecodeError::TooLong);

    Writer enroll;
    put_raw_string(enroll, "bob");
    enroll.put_u8(1);
    enroll.put_u8(1);
    enroll.put_u8(6);
    enroll.put_u16(30);
    put_raw_string(enroll, std::string(kMaxLabel + 1, 'l'));
    EXPECT_EQ(decode<AdminEnroll>(enroll.bytes()), DecodeError::TooLong);
}

TEST(Decode, StringLengthPastTheEnd) {
    Writer w;
    w.put_u16(10);
    w.put_u8('a');
    EXPECT_EQ(decode<Done>(w.bytes()), DecodeError::Truncated);
}

Bytes auth_step_payload(std::uint8_t outcome, std::uint16_t status, std::uint8_t echo,
                        std::uint8_t code_digits = 0) {
    Writer w;
    w.put_u8(outcome);
    w.put_u16(status);
    w.put_u8(echo);
    put_raw_string(w, "");
    put_raw_string(w, "");
    w.put_u8(0);
    w.put_u8(code_digits);  // version 3
    return w.bytes();
}

TEST(Decode, AuthStepEnumRanges) {
    EXPECT_EQ(decode<AuthStep>(auth_step_payload(1, 0, 0)), DecodeError::None);
    EXPECT_EQ(decode<AuthStep>(auth_step_payload(3, 2003, 1)), DecodeError::None);
    for (const std::uint8_t outcome : std::array<std::uint8_t, 3>{0, 4, 255})
        EXPECT_EQ(decode<AuthStep>(auth_step_payload(outcome, 0, 0)), DecodeError::BadValue)
            << +outcome;
    for (const std::uint16_t status : std::array<std::uint16_t, 3>{1, 2, 3})  // KS0001-KS0003
        EXPECT_EQ(decode<AuthStep>(auth_step_payload(2, status, 0)), DecodeError::None) << status;
    for (const std::uint16_t status :
         std::array<std::uint16_t, 7>{4, 999, 1000, 1017, 2000, 2004, 65535})
        EXPECT_EQ(decode<AuthStep>(auth_step_payload(1, status, 0)), DecodeError::BadValue)
            << status;
    for (const std::uint8_t echo : std::array<std::uint8_t, 2>{2, 255})
        EXPECT_EQ(decode<AuthStep>(auth_step_payload(1, 0, echo)), DecodeError::BadValue) << +echo;
    for (const std::uint8_t digits : std::array<std::uint8_t, 3>{0, 6, 8})
        EXPECT_EQ(decode<AuthStep>(auth_step_payload(1, 0, 0, digits)), DecodeError::None) << +digits;
    for (const std::uint8_t digits : std::array<std::uint8_t, 4>{1, 5, 7, 9})
        EXPECT_EQ(decode<AuthStep>(auth_step_payload(1, 0, 0, digits)), DecodeError::BadValue) << +digits;
}

TEST(Decode, ErrorReplyStatusRange) {
    Writer w;
    w.put_u16(1017);
    put_raw_string(w, "x");
    EXPECT_EQ(decode<ErrorReply>(w.bytes()), DecodeError::BadValue);
}

Bytes enroll_payload(const std::string& user, std::uint8_t type, std::uint8_t algorithm) {
    Writer w;
    put_raw_string(w, user);
    w.put_u8(type);
    w.put_u8(algorithm);
    w.put_u8(6);
    w.put_u16(30);
    put_raw_string(w, "");
    return w.bytes();
}

TEST(Decode, AdminEnrollRanges) {
    EXPECT_EQ(decode<AdminEnroll>(enroll_payload("bob", 2, 3)), DecodeError::None);
    EXPECT_EQ(decode<AdminEnroll>(enroll_payload("bob", 0, 1)), DecodeError::BadValue);
    EXPECT_EQ(decode<AdminEnroll>(enroll_payload("bob", 3, 1)), DecodeError::BadValue);
    EXPECT_EQ(decode<AdminEnroll>(enroll_payload("bob", 1, 0)), DecodeError::BadValue);
    EXPECT_EQ(decode<AdminEnroll>(enroll_payload("bob", 1, 4)), DecodeError::BadValue);
    EXPECT_EQ(decode<AdminEnroll>(enroll_payload("", 1, 1)), DecodeError::BadValue);
}

Bytes user_list_payload(std::uint16_t count, std::uint8_t state, std::uint8_t more) {
    Writer w;
    w.put_u16(count);
    for (std::uint16_t i = 0; i < count; ++i) {
        put_raw_string(w, "u" + std::to_string(i));
        w.put_u8(state);
        w.put_u16(0);
        w.put_u16(0);
        w.put_i64(0);
    }
    w.put_u8(more);
    return w.bytes();
}

TEST(Decode, UserListRanges) {
    EXPECT_EQ(decode<UserList>(user_list_payload(2, 1, 1)), DecodeError::None);
    EXPECT_EQ(decode<UserList>(user_list_payload(kMaxListPage, 0, 0)), DecodeError::None);
    EXPECT_EQ(decode<UserList>(user_list_payload(2, 2, 0)), DecodeError::BadValue);
    EXPECT_EQ(decode<UserList>(user_list_payload(2, 0, 2)), DecodeError::BadValue);
    EXPECT_EQ(decode<UserList>(user_list_payload(kMaxListPage + 1, 0, 0)), DecodeError::BadValue);
    // A huge count is refused from the count alone, before any entry is allocated or read.
    Writer w;
    w.put_u16(0xffff);
    EXPECT_EQ(decode<UserList>(w.bytes()), DecodeError::BadValue);
}

Bytes user_info_payload(std::uint8_t state, std::uint16_t count, std::uint8_t type,
                        std::uint8_t algorithm, std::uint8_t token_state) {
    Writer w;
    put_raw_string(w, "frank");
    w.put_u8(state);
    w.put_u16(0);
    put_raw_string(w, "");
    w.put_i64(0);
    w.put_i64(0);
    w.put_i64(0);
    w.put_u16(count);
    for (std::uint16_t i = 0; i < count; ++i) {
        w.put_u64(i);
        w.put_u8(type);
        w.put_u8(algorithm);
        w.put_u8(6);
        w.put_u16(30);
        w.put_u8(token_state);
        put_raw_string(w, "");
        w.put_i64(0);
        w.put_i64(0);
    }
    w.put_u16(0);  // recovery_left (version 2)
    w.put_i64(0);  // activation_expires (version 2)
    w.put_i64(0);  // exempt_until (version 3)
    put_raw_string(w, "");  // exempt_reason
    return w.bytes();
}

TEST(Decode, UserInfoRanges) {
    EXPECT_EQ(decode<UserInfo>(user_info_payload(1, 1, 2, 3, 3)), DecodeError::None);
    EXPECT_EQ(decode<UserInfo>(user_info_payload(2, 0, 1, 1, 1)), DecodeError::BadValue);
    EXPECT_EQ(decode<UserInfo>(user_info_payload(0, 1, 0, 1, 1)), DecodeError::BadValue);
    EXPECT_EQ(decode<UserInfo>(user_info_payload(0, 1, 3, 1, 1)), DecodeError::BadValue);
    EXPECT_EQ(decode<UserInfo>(user_info_payload(0, 1, 1, 0, 1)), DecodeError::BadValue);
    EXPECT_EQ(decode<UserInfo>(user_info_payload(0, 1, 1, 4, 1)), DecodeError::BadValue);
    EXPECT_EQ(decode<UserInfo>(user_info_payload(0, 1, 1, 1, 0)), DecodeError::BadValue);
    EXPECT_EQ(decode<UserInfo>(user_info_payload(0, 1, 1, 1, 4)), DecodeError::BadValue);
    EXPECT_EQ(decode<UserInfo>(user_info_payload(0, kMaxTokensPerUser + 1, 1, 1, 1)),
              DecodeError::BadValue);
}

TEST(Decode, EmptyUserIsRefused) {
    Writer begin;
    put_raw_string(begin, "");
    put_raw_string(begin, "sshd");
    put_raw_string(begin, "");
    put_raw_string(begin, "");
    EXPECT_EQ(decode<AuthBegin>(begin.bytes()), DecodeError::BadValue);

    Writer user;
    put_raw_string(user, "");
    EXPECT_EQ(decode<AdminShow>(user.bytes()), DecodeError::BadValue);
    EXPECT_EQ(decode<AdminUnlock>(user.bytes()), DecodeError::BadValue);
    EXPECT_EQ(decode<AdminRemove>(user.bytes()), DecodeError::BadValue);

    Writer suspend;
    put_raw_string(suspend, "");
    put_raw_string(suspend, "why");
    EXPECT_EQ(decode<AdminSuspend>(suspend.bytes()), DecodeError::BadValue);
}

TEST(Decode, AdminListLimit) {
    for (const std::uint16_t limit :
         {std::uint16_t{0}, std::uint16_t(kMaxListPage + 1), std::uint16_t{0xffff}}) {
        Writer w;
        put_raw_string(w, "");
        w.put_u16(limit);
        EXPECT_EQ(decode<AdminList>(w.bytes()), DecodeError::BadValue) << limit;
    }
}

TEST(Decode, EmptyPayload) {
    EXPECT_EQ(decode<Done>({}), DecodeError::Truncated);
    EXPECT_EQ(decode<AuthBegin>({}), DecodeError::Truncated);
    EXPECT_EQ(decode<UserList>({}), DecodeError::Truncated);
}

// ---------------------------------------------------------------------------------------------
// The encoder refuses what the decoder would refuse, so a bad value is reported, never sent.

TEST(Encode, RefusesOverLimitFields) {
    AuthBegin begin;
    begin.user = std::string(kMaxUserName + 1, 'u');
    EXPECT_TRUE(encode_frame(begin).empty());
    begin.user = "alice";
    begin.rhost = std::string(kMaxRhost + 1, 'h');
    EXPECT_TRUE(encode_frame(begin).empty());

    AuthAnswer answer;
    answer.response = std::string(kMaxResponse + 1, '1');
    EXPECT_TRUE(encode_frame(answer).empty());

    AuthStep step;
    step.text = std::string(kMaxText + 1, 't');
    EXPECT_TRUE(encode_frame(step).empty());

    AdminEnroll enroll;
    enroll.user = "bob";
    enroll.label = std::string(kMaxLabel + 1, 'l');
    EXPECT_TRUE(encode_frame(enroll).empty());

    Enrolled enrolled;
    enrolled.user = "bob";
    enrolled.secret = std::string(kMaxSecretText + 1, 'A');
    EXPECT_TRUE(encode_frame(enrolled).empty());
    enrolled.secret = "A";
    enrolled.uri = std::string(kMaxUri + 1, 'o');
    EXPECT_TRUE(encode_frame(enrolled).empty());

    AdminSuspend suspend;
    suspend.user = "erin";
    suspend.reason = std::string(kMaxReason + 1, 'r');
    EXPECT_TRUE(encode_frame(suspend).empty());

    Done done;
    done.text = std::string(kMaxText + 1, 'd');
    EXPECT_TRUE(encode_frame(done).empty());
}

TEST(Encode, RefusesNulInString) {
    AuthAnswer answer;
    answer.response = std::string(
        "12\0"
        "34",
        5);
    EXPECT_TRUE(encode_frame(answer).empty());
    AdminShow show;
    show.user = std::string("a\0b", 3);
    EXPECT_TRUE(encode_frame(show).empty());
}

TEST(Encode, RefusesTooManyEntries) {
    UserList list;
    list.users.resize(kMaxListPage + 1);
    EXPECT_TRUE(encode_frame(list).empty());
    UserInfo info;
    info.user = "g";
    info.tokens.resize(kMaxTokensPerUser + 1);
    EXPECT_TRUE(encode_frame(info).empty());
}

TEST(Encode, RefusesEmptyUserInAuthBegin) {
    AuthBegin begin;
    begin.service = "sshd";
    EXPECT_TRUE(encode_frame(begin).empty());
}

// ---------------------------------------------------------------------------------------------
// Reader and Writer primitives.

TEST(Reader, BigEndianIntegers) {
    const Bytes data{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xff, 0xff, 0xff, 0xff, 0xff,
                     0xff, 0xff, 0xfe, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11};
    Reader r(data);
    std::uint16_t u16 = 0;
    std::uint32_t u32 = 0;
    std::uint8_t u8 = 0;
    std::int64_t i64 = 0;
    std::uint64_t u64 = 0;
    ASSERT_TRUE(r.get_u16(u16));
    ASSERT_TRUE(r.get_u32(u32));
    ASSERT_TRUE(r.get_u8(u8));
    ASSERT_TRUE(r.get_i64(i64));
    ASSERT_TRUE(r.get_u64(u64));
    EXPECT_EQ(u16, 0x0102);
    EXPECT_EQ(u32, 0x03040506U);
    EXPECT_EQ(u8, 0x07);
    EXPECT_EQ(i64, -2);
    EXPECT_EQ(u64, 0x0a0b0c0d0e0f1011ULL);
    EXPECT_TRUE(r.finish());
}

TEST(Reader, FirstErrorSticks) {
    const Bytes data{0x00};
    Reader r(data);
    std::uint16_t v = 0;
    EXPECT_FALSE(r.get_u16(v));
    EXPECT_EQ(r.error(), DecodeError::Truncated);
    std::uint8_t b = 0;
    EXPECT_FALSE(r.get_u8(b));  // a byte is there, but the reader has already failed
    EXPECT_FALSE(r.finish());
    EXPECT_EQ(r.error(), DecodeError::Truncated);
}

TEST(Reader, FinishReportsTrailingBytes) {
    const Bytes data{0x00, 0x01};
    Reader r(data);
    std::uint8_t b = 0;
    ASSERT_TRUE(r.get_u8(b));
    EXPECT_FALSE(r.finish());
    EXPECT_EQ(r.error(), DecodeError::TrailingBytes);
}

TEST(Writer, BigEndianAndStrings) {
    Writer w;
    w.put_u16(0x0102);
    w.put_u32(0x03040506);
    w.put_u64(0x0708090a0b0c0d0eULL);
    w.put_i64(-1);
    w.put_string("ab", 2);
    EXPECT_TRUE(w.ok());
    EXPECT_EQ(w.bytes(),
              (Bytes{1,  2,    3,    4,    5,    6,    7,    8,    9,    10, 11, 12,  13,
                     14, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0,  2,  'a', 'b'}));
    w.put_string("abc", 2);
    EXPECT_FALSE(w.ok());
}

TEST(DecodeErrorText, EveryValueHasText) {
    for (int e = 0; e <= static_cast<int>(DecodeError::UnexpectedType); ++e) {
        const char* text = to_string(static_cast<DecodeError>(e));
        ASSERT_NE(text, nullptr);
        EXPECT_GT(std::string(text).size(), 0U);
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Version 2 messages.

namespace {

TEST(Version2, EnrolmentMessagesRoundTrip) {
    AuthBegin begin;
    begin.user = "alice";
    begin.intent = Intent::Replace;
    AuthBegin begin_out;
    round_trip(begin, begin_out);
    EXPECT_EQ(begin_out.intent, Intent::Replace);

    AdminIssue issue;
    issue.user = "alice";
    issue.valid_seconds = 2;
    AdminIssue issue_out;
    round_trip(issue, issue_out);
    EXPECT_EQ(issue_out.valid_seconds, 2u);

    AdminResync resync;
    resync.user = "alice";
    resync.code1 = "123456";
    resync.code2 = "654321";
    AdminResync resync_out;
    round_trip(resync, resync_out);
    EXPECT_EQ(resync_out.code2, "654321");

    ActivationIssued issued;
    issued.user = "alice";
    issued.code = "012345";
    issued.expires = 1'800'000'000;
    ActivationIssued issued_out;
    round_trip(issued, issued_out);
    EXPECT_EQ(issued_out.code, "012345");
    EXPECT_EQ(issued_out.expires, 1'800'000'000);

    RecoveryCodes codes;
    codes.user = "alice";
    for (int i = 0; i < 10; ++i) codes.codes.push_back("abcde-fghi" + std::to_string(i % 8 + 2));
    RecoveryCodes codes_out;
    round_trip(codes, codes_out);
    EXPECT_EQ(codes_out.codes, codes.codes);
}

TEST(Version2, Rejections) {
    Writer begin;
    put_raw_string(begin, "alice");
    put_raw_string(begin, "sshd");
    put_raw_string(begin, "");
    put_raw_string(begin, "");
    begin.put_u8(5);  // no such intent
    EXPECT_EQ(decode<AuthBegin>(begin.bytes()), DecodeError::BadValue);

    for (const std::uint32_t valid : {0u, kMaxActivationValidity + 1}) {
        Writer issue;
        put_raw_string(issue, "alice");
        issue.put_u32(valid);
        EXPECT_EQ(decode<AdminIssue>(issue.bytes()), DecodeError::BadValue) << valid;
    }

    RecoveryCodes too_many;
    too_many.user = "alice";
    too_many.codes.assign(kRecoveryCodeCount + 1, "abcde-fghij");
    EXPECT_TRUE(encode_frame(too_many).empty());
}

}  // namespace


// ---------------------------------------------------------------------------------------------
// Version 4 messages: the audit log and the stats.

namespace {

AuditEntry full_audit_entry(std::int64_t id) {
    AuditEntry e;
    e.id = id;
    e.time = 1'700'000'000 + id;
    e.user = std::string(kMaxUserName, 'u');
    e.service = std::string(kMaxService, 's');
    e.rhost = std::string(kMaxRhost, 'r');
    e.tty = std::string(kMaxTty, 't');
    e.result = std::string(kMaxAuditResult, 'K');
    e.token_id = id * 7;
    e.detail = std::string(kMaxAuditDetail, 'd');
    return e;
}

TEST(Version4, AuditMessagesRoundTrip) {
    AdminLog log;
    log.user = "alice";
    log.since = 1'700'000'000;
    log.before_id = 1234;
    log.limit = 7;
    AdminLog log_out;
    round_trip(log, log_out);
    EXPECT_EQ(log_out.user, "alice");
    EXPECT_EQ(log_out.since, 1'700'000'000);
    EXPECT_EQ(log_out.before_id, 1234);
    EXPECT_EQ(log_out.limit, 7);

    AdminLog all;
    all.user = "";  // every user
    AdminLog all_out;
    round_trip(all, all_out);
    EXPECT_EQ(all_out.user, "");
    EXPECT_EQ(all_out.limit, kMaxAuditPage);

    // A full page with every field at its limit fits one reply frame.
    AuditPage page;
    for (std::int64_t id = kMaxAuditPage; id >= 1; --id) page.entries.push_back(full_audit_entry(id));
    page.more = true;
    AuditPage page_out;
    round_trip(page, page_out);
    ASSERT_EQ(page_out.entries.size(), kMaxAuditPage);
    EXPECT_TRUE(page_out.more);
    EXPECT_EQ(page_out.entries[0].id, kMaxAuditPage);
    EXPECT_EQ(page_out.entries[0].token_id, kMaxAuditPage * 7);
    EXPECT_EQ(page_out.entries[0].rhost.size(), kMaxRhost);
    EXPECT_EQ(page_out.entries[0].detail.size(), kMaxAuditDetail);
    EXPECT_EQ(page_out.entries.back().time, 1'700'000'001);
    EXPECT_LE(encode_frame(page).size() - kHeaderSize, kMaxReplyPayload);

    AdminStats stats_request;
    stats_request.hours = kMaxStatsHours;
    AdminStats stats_request_out;
    round_trip(stats_request, stats_request_out);
    EXPECT_EQ(stats_request_out.hours, kMaxStatsHours);

    Stats stats;
    stats.users_total = 10;
    stats.users_active = 8;
    stats.users_suspended = 2;
    stats.users_exempt = 3;
    stats.users_without_token = 4;
    for (std::uint16_t i = 0; i < kMaxStatsHours; ++i)
        stats.hours.push_back({1'700'000'000 + i * 3600, i, 2u * i, 0xFFFFFFFFu});
    Stats stats_out;
    round_trip(stats, stats_out);
    EXPECT_EQ(stats_out.users_total, 10u);
    EXPECT_EQ(stats_out.users_suspended, 2u);
    EXPECT_EQ(stats_out.users_exempt, 3u);
    EXPECT_EQ(stats_out.users_without_token, 4u);
    ASSERT_EQ(stats_out.hours.size(), kMaxStatsHours);
    EXPECT_EQ(stats_out.hours[5].start, 1'700'000'000 + 5 * 3600);
    EXPECT_EQ(stats_out.hours[5].waived, 10u);
    EXPECT_EQ(stats_out.hours[5].failures, 0xFFFFFFFFu);
}

TEST(Version4, TypesHaveNames) {
    EXPECT_STREQ(to_string(MessageType::AdminLog), "AdminLog");
    EXPECT_STREQ(to_string(MessageType::AdminStats), "AdminStats");
    EXPECT_STREQ(to_string(MessageType::AuditPage), "AuditPage");
    EXPECT_STREQ(to_string(MessageType::Stats), "Stats");
    EXPECT_EQ(static_cast<int>(MessageType::AdminLog), 29);
    EXPECT_EQ(static_cast<int>(MessageType::AdminStats), 30);
    EXPECT_EQ(static_cast<int>(MessageType::AuditPage), 137);
    EXPECT_EQ(static_cast<int>(MessageType::Stats), 138);
}

Bytes admin_log_payload(const std::string& user, std::int64_t since, std::int64_t before_id, std::uint16_t limit) {
    Writer w;
    put_raw_string(w, user);
    w.put_i64(since);
    w.put_i64(before_id);
    w.put_u16(limit);
    return w.bytes();
}

TEST(Version4, Rejections) {
    EXPECT_EQ(decode<AdminLog>(admin_log_payload("alice", 0, 0, 1)), DecodeError::None);
    EXPECT_EQ(decode<AdminLog>(admin_log_payload("alice", 0, 0, 0)), DecodeError::BadValue);
    EXPECT_EQ(decode<AdminLog>(admin_log_payload("alice", 0, 0, kMaxAuditPage + 1)), DecodeError::BadValue);
    EXPECT_EQ(decode<AdminLog>(admin_log_payload("alice", -1, 0, 5)), DecodeError::BadValue);
    EXPECT_EQ(decode<AdminLog>(admin_log_payload("alice", 0, -1, 5)), DecodeError::BadValue);
    EXPECT_EQ(decode<AdminLog>(admin_log_payload(std::string(kMaxUserName + 1, 'a'), 0, 0, 5)),
              DecodeError::TooLong);
    auto trailing = admin_log_payload("", 0, 0, 5);
    trailing.push_back(0);
    EXPECT_EQ(decode<AdminLog>(trailing), DecodeError::TrailingBytes);

    for (const std::uint16_t hours : {std::uint16_t{0}, static_cast<std::uint16_t>(kMaxStatsHours + 1)}) {
        Writer w;
        w.put_u16(hours);
        EXPECT_EQ(decode<AdminStats>(w.bytes()), DecodeError::BadValue) << hours;
    }

    // AuditPage: too many entries, a detail over its cap, a bad `more` flag.
    Writer many;
    many.put_u16(kMaxAuditPage + 1);
    EXPECT_EQ(decode<AuditPage>(many.bytes()), DecodeError::BadValue);
    AuditPage page;
    page.entries.push_back(full_audit_entry(1));
    Bytes frame = encode_frame(page);
    Bytes payload(frame.begin() + kHeaderSize, frame.end());
    payload.back() = 2;  // `more` is 0 or 1
    EXPECT_EQ(decode<AuditPage>(payload), DecodeError::BadValue);
    page.entries[0].detail.push_back('x');
    EXPECT_TRUE(encode_frame(page).empty());
    page.entries[0] = full_audit_entry(1);
    page.entries.resize(kMaxAuditPage + 1);
    EXPECT_TRUE(encode_frame(page).empty());

    // Stats: no hour at all, too many hours, truncated.
    Stats stats;
    EXPECT_TRUE(encode_frame(stats).empty());
    stats.hours.resize(kMaxStatsHours + 1);
    EXPECT_TRUE(encode_frame(stats).empty());
    Writer none;
    for (int i = 0; i < 5; ++i) none.put_u32(1);
    none.put_u16(0);
    EXPECT_EQ(decode<Stats>(none.bytes()), DecodeError::BadValue);
    stats.hours.resize(2);
    frame = encode_frame(stats);
    payload.assign(frame.begin() + kHeaderSize, frame.end() - 1);
    EXPECT_EQ(decode<Stats>(payload), DecodeError::Truncated);
}

TEST(Version5, RekeyRoundTrips) {
    EXPECT_EQ(kProtocolVersion, 5);
    EXPECT_STREQ(to_string(MessageType::AdminRekey), "AdminRekey");
    EXPECT_STREQ(to_string(MessageType::RekeyStatus), "RekeyStatus");
    AdminRekey start;
    start.action = RekeyAction::Start;
    start.keep_old_keys = true;
    AdminRekey start_out;
    round_trip(start, start_out);
    EXPECT_EQ(start_out.action, RekeyAction::Start);
    EXPECT_TRUE(start_out.keep_old_keys);

    // Every list at its limit fits one reply frame.
    RekeyStatus status;
    status.run = 3;
    status.state = RekeyState::Done;
    status.accepted = true;
    status.key_id = 0xFFFFFFFFu;
    status.total = 1ull << 40;
    status.resealed = (1ull << 40) - 1;
    status.unreadable = 2;
    status.started = 1'700'000'000;
    status.finished = 1'700'000'009;
    status.by_uid = 4242;
    for (std::uint32_t i = 1; i <= kMaxMasterKeys; ++i) status.removed_key_ids.push_back(i);
    status.kept_key_ids = status.removed_key_ids;
    status.text = std::string(kMaxRekeyText, 'x');
    RekeyStatus status_out;
    round_trip(status, status_out);
    EXPECT_EQ(status_out.key_id, 0xFFFFFFFFu);
    EXPECT_EQ(status_out.resealed, (1ull << 40) - 1);
    EXPECT_EQ(status_out.removed_key_ids.size(), kMaxMasterKeys);
    EXPECT_EQ(status_out.kept_key_ids.back(), kMaxMasterKeys);
    EXPECT_LE(encode_frame(status).size() - kHeaderSize, kMaxReplyPayload);
}

TEST(Version5, RekeyRejections) {
    EXPECT_EQ(decode<AdminRekey>({0, 0}), DecodeError::BadValue);  // no action 0
    EXPECT_EQ(decode<AdminRekey>({3, 0}), DecodeError::BadValue);  // nor 3
    EXPECT_EQ(decode<AdminRekey>({1, 2}), DecodeError::BadValue);  // a bool is 0 or 1
    EXPECT_EQ(decode<AdminRekey>({1}), DecodeError::Truncated);
    EXPECT_EQ(decode<AdminRekey>({1, 0, 0}), DecodeError::TrailingBytes);

    RekeyStatus status;
    status.removed_key_ids.assign(kMaxMasterKeys + 1, 1);
    EXPECT_TRUE(encode_frame(status).empty());  // the sender refuses too many ids
    status.removed_key_ids.clear();
    const Bytes frame = encode_frame(status);
    const Bytes payload(frame.begin() + kHeaderSize, frame.end());
    Bytes bad_state = payload;
    bad_state[4] = 4;  // the state, after the u32 run
    EXPECT_EQ(decode<RekeyStatus>(bad_state), DecodeError::BadValue);
    // An id count over the cap is refused before anything is allocated for it.
    Bytes too_many = payload;
    const std::size_t count_at = 4 + 1 + 1 + 4 + 3 * 8 + 2 * 8 + 4;
    too_many[count_at] = static_cast<std::uint8_t>((kMaxMasterKeys + 1) >> 8);
    too_many[count_at + 1] = static_cast<std::uint8_t>((kMaxMasterKeys + 1) & 0xff);
    EXPECT_EQ(decode<RekeyStatus>(too_many), DecodeError::BadValue);
}

}  // namespace
