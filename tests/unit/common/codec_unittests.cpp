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

namespace {

using namespace kotp::wire;
using Bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------------
// Helpers

std::span<const std::uint8_t> payload_of(const Bytes& frame) {
    return std::span<const std::uint8_t>(frame).subspan(kHeaderSize);
}

DecodeError header_of(const Bytes& frame, FrameHeader& header,
                      std::uint32_t max_payload = kMaxReplyPayload) {
    return parse_header(std::span<const std::uint8_t, kHeaderSize>(frame.data(), kHeaderSize),
                        max_payload, header);
}

Bytes header_bytes(std::uint32_t length, std::uint16_t version, std::uint16_t type) {
    Writer w;
    w.put_u32(length);
    w.put_u16(version);
    w.put_u16(type);
    return w.bytes();
}

// Encodes `in`, checks the header, decodes into `out` and checks that `out` encodes to the same
// frame (the encoding is deterministic, so equal frames mean equal fields).
template <typename Message>
void round_trip(const Message& in, Message& out) {
    const Bytes frame = encode_frame(in);
    ASSERT_GE(frame.size(), kHeaderSize);
    FrameHeader header;
    ASSERT_EQ(header_of(frame, header), DecodeError::None);
    EXPECT_EQ(header.version, kProtocolVersion);
    EXPECT_EQ(header.type, Message::kType);
    EXPECT_EQ(header.payload_length, frame.size() - kHeaderSize);
    ASSERT_EQ(decode_payload(payload_of(frame), out), DecodeError::None);
    EXPECT_EQ(encode_frame(out), frame);
}

template <typename Message>
DecodeError decode(const Bytes& payload) {
    Message m;
    return decode_payload(std::span<const std::uint8_t>(payload), m);
}

// Puts a string field without the Writer's checks, to build payloads a correct sender never makes.
void put_raw_string(Writer& w, const std::string& s) {
    w.put_u16(static_cast<std::uint16_t>(s.size()));
    w.bytes().insert(w.bytes().end(), s.begin(), s.end());
}

// ---------------------------------------------------------------------------------------------
// Samples of every message, with every field set to something other than its default.

void sample(AuthBegin& m) {
    m.user = "alice";
    m.service = "sshd";
    m.rhost = "192.0.2.7";
    m.tty = "ssh";
}
void sample(AuthAnswer& m) {
    m.response = "123456";
}
void sample(AuthStep& m) {
    m.outcome = Outcome::Prompt;
    m.status = Status::WrongCode;
    m.echo = true;
    m.prompt = "Verification code: ";
    m.text = "KS1003: The verification code is wrong.";
    m.attempts_left = 2;
}
void sample(ErrorReply& m) {
    m.status = Status::Busy;
    m.text = "too many connections";
}
void sample(AdminEnroll& m) {
    m.user = "bob";
    m.type = TokenType::Hotp;
    m.algorithm = Algorithm::Sha512;
    m.digits = 8;
    m.period = 60;
    m.label = "phone";
}
void sample(Enrolled& m) {
    m.user = "bob";
    m.token_id = 0x0102030405060708ULL;
    m.secret = "JBSWY3DPEHPK3PXP";
    m.uri = "otpauth://totp/kotp:bob?secret=JBSWY3DPEHPK3PXP&issuer=kotp";
    m.label = "phone";
}
void sample(AdminList& m) {
    m.after = "carol";
    m.limit = 50;
}
void sample(UserList& m) {
    m.users = {{"alice", UserState::Active, 0, 1, 1700000000},
               {"bob", UserState::Suspended, 65535, 10, -1},
               {"carol", UserState::Active, 3, 0, 0}};
    m.more = true;
}
template <MessageType T>
void sample(UserRequest<T>& m) {
    m.user = "dave";
}
void sample(AdminSuspend& m) {
    m.user = "erin";
    m.reason = "left the company";
}
void sample(UserInfo& m) {
    m.user = "frank";
    m.state = UserState::Suspended;
    m.failures = 7;
    m.reason = "too many failures";
    m.suspended_at = 1700000100;
    m.last_login = std::numeric_limits<std::int64_t>::min();
    m.created = std::numeric_limits<std::int64_t>::max();
    TokenInfo a;
    a.id = 1;
    a.type = TokenType::Totp;
    a.algorithm = Algorithm::Sha1;
    a.digits = 6;
    a.period = 30;
    a.state = TokenState::Active;
    a.label = "phone";
    a.created = 1600000000;
    a.last_used = 1700000000;
    TokenInfo b;
    b.id = std::numeric_limits<std::uint64_t>::max();
    b.type = TokenType::Hotp;
    b.algorithm = Algorithm::Sha512;
    b.digits = 8;
    b.period = 0;
    b.state = TokenState::Revoked;
    b.label = "";
    b.created = -5;
    b.last_used = 0;
    TokenInfo c;  // defaults: Pending
    m.tokens = {a, b, c};
}
void sample(Done& m) {
    m.text = "user bob unlocked";
}

// ---------------------------------------------------------------------------------------------
// Properties every message has.

template <typename Message>
class EveryMessage : public ::testing::Test {};

using AllMessages =
    ::testing::Types<AuthBegin, AuthAnswer, AuthStep, ErrorReply, AdminEnroll, Enrolled, AdminList,
                     UserList, AdminShow, AdminUnlock, AdminRemove, AdminSuspend, UserInfo, Done>;
TYPED_TEST_SUITE(EveryMessage, AllMessages);

TYPED_TEST(EveryMessage, RoundTrip) {
    TypeParam in;
    sample(in);
    TypeParam out;
    round_trip(in, out);
}

TYPED_TEST(EveryMessage, EveryTruncationIsRefused) {
    TypeParam in;
    sample(in);
    const Bytes frame = encode_frame(in);
    ASSERT_FALSE(frame.empty());
    const auto payload = payload_of(frame);
    for (std::size_t n = 0; n < payload.size(); ++n) {
        TypeParam out;
        EXPECT_EQ(decode_payload(payload.first(n), out), DecodeError::Truncated) << n;
    }
}

TYPED_TEST(EveryMessage, TrailingBytesAreRefused) {
    TypeParam in;
    sample(in);
    const Bytes frame = encode_frame(in);
    const Bytes payload(frame.begin() + kHeaderSize, frame.end());
    for (const std::uint8_t extra : std::array<std::uint8_t, 3>{0x00, 0x01, 0xff}) {
        Bytes longer = payload;
        longer.push_back(extra);
        EXPECT_EQ(decode<TypeParam>(longer), DecodeError::TrailingBytes);
    }
}

TYPED_TEST(EveryMessage, HeaderCarriesTypeAndLength) {
    TypeParam in;
    sample(in);
    const Bytes frame = encode_frame(in);
    const auto length = frame.size() - kHeaderSize;
    const auto type = static_cast<std::uint16_t>(TypeParam::kType);
    EXPECT_EQ(Bytes(frame.begin(), frame.begin() + kHeaderSize),
              header_bytes(static_cast<std::uint32_t>(length), kProtocolVersion, type));
}

// ---------------------------------------------------------------------------------------------
// Field-by-field checks of the decoded values.

TEST(RoundTrip, AuthBeginFields) {
    AuthBegin in;
    sample(in);
    AuthBegin out;
    round_trip(in, out);
    EXPECT_EQ(out.user, "alice");
    EXPECT_EQ(out.service, "sshd");
    EXPECT_EQ(out.rhost, "192.0.2.7");
    EXPECT_EQ(out.tty, "ssh");
}

TEST(RoundTrip, AuthBeginEmptyOptionalFieldsAndLimits) {
    AuthBegin in;
    in.user = std::string(kMaxUserName, 'u');
    in.service = std::string(kMaxService, 's');
    in.rhost = std::string(kMaxRhost, 'h');
    in.tty = std::string(kMaxTty, 't');
    AuthBegin out;
    round_trip(in, out);
    EXPECT_EQ(out.rhost.size(), kMaxRhost);

    AuthBegin minimal;
    minimal.user = "u";
    round_trip(minimal, out);
    EXPECT_EQ(out.service, "");
    EXPECT_EQ(out.tty, "");
    EXPECT_LE(encode_frame(in).size() - kHeaderSize, kMaxRequestPayload);
}

TEST(RoundTrip, AuthAnswerFields) {
    AuthAnswer in;
    in.response = std::string(kMaxResponse, '9');
    AuthAnswer out;
    round_trip(in, out);
    EXPECT_EQ(out.response, in.response);
    in.response.clear();
    round_trip(in, out);
    EXPECT_EQ(out.response, "");
}

TEST(RoundTrip, AuthStepFields) {
    AuthStep in;
    sample(in);
    AuthStep out;
    round_trip(in, out);
    EXPECT_EQ(out.outcome, Outcome::Prompt);
    EXPECT_EQ(out.status, Status::WrongCode);
    EXPECT_TRUE(out.echo);
    EXPECT_EQ(out.prompt, in.prompt);
    EXPECT_EQ(out.text, in.text);
    EXPECT_EQ(out.attempts_left, 2);
}

TEST(RoundTrip, AuthStepEveryOutcomeAndStatus) {
    for (const auto outcome : {Outcome::Prompt, Outcome::Success, Outcome::Failure}) {
        for (const auto status : {Status::Ok, Status::NotEnrolled, Status::InvalidArgument,
                                  Status::ServiceUnavailable, Status::ConversationFailed}) {
            AuthStep in;
            in.outcome = outcome;
            in.status = status;
            AuthStep out;
            round_trip(in, out);
            EXPECT_EQ(out.outcome, outcome);
            EXPECT_EQ(out.status, status);
            EXPECT_FALSE(out.echo);
        }
    }
}

TEST(RoundTrip, AuthStepAtItsLimits) {
    AuthStep in;
    in.prompt = std::string(kMaxText, 'p');
    in.text = std::string(kMaxText, 't');
    in.attempts_left = 255;
    AuthStep out;
    round_trip(in, out);
    EXPECT_EQ(out.text.size(), kMaxText);
    EXPECT_EQ(out.attempts_left, 255);
}

TEST(RoundTrip, ErrorReplyFields) {
    ErrorReply in;
    sample(in);
    ErrorReply out;
    round_trip(in, out);
    EXPECT_EQ(out.status, Status::Busy);
    EXPECT_EQ(out.text, "too many connections");
}

TEST(RoundTrip, AdminEnrollFields) {
    AdminEnroll in;
    sample(in);
    AdminEnroll out;
    round_trip(in, out);
    EXPECT_EQ(out.user, "bob");
    EXPECT_EQ(out.type, TokenType::Hotp);
    EXPECT_EQ(out.algorithm, Algorithm::Sha512);
    EXPECT_EQ(out.digits, 8);
    EXPECT_EQ(out.period, 60);
    EXPECT_EQ(out.label, "phone");
}

TEST(RoundTrip, EnrolledFields) {
    Enrolled in;
    sample(in);
    Enrolled out;
    round_trip(in, out);
    EXPECT_EQ(out.user, "bob");
    EXPECT_EQ(out.token_id, 0x0102030405060708ULL);
    EXPECT_EQ(out.secret, in.secret);
    EXPECT_EQ(out.uri, in.uri);
    EXPECT_EQ(out.label, "phone");
}

TEST(RoundTrip, AdminListFields) {
    AdminList in;
    sample(in);
    AdminList out;
    round_trip(in, out);
    EXPECT_EQ(out.after, "carol");
    EXPECT_EQ(out.limit, 50);
    in.after.clear();
    in.limit = 1;
    round_trip(in, out);
    EXPECT_EQ(out.limit, 1);
    in.limit = kMaxListPage;
    round_trip(in, out);
    EXPECT_EQ(out.limit, kMaxListPage);
}

TEST(RoundTrip, UserListFields) {
    UserList in;
    sample(in);
    UserList out;
    round_trip(in, out);
    ASSERT_EQ(out.users.size(), 3U);
    EXPECT_EQ(out.users[1].user, "bob");
    EXPECT_EQ(out.users[1].state, UserState::Suspended);
    EXPECT_EQ(out.users[1].failures, 65535);
    EXPECT_EQ(out.users[1].tokens, 10);
    EXPECT_EQ(out.users[1].last_login, -1);
    EXPECT_EQ(out.users[0].last_login, 1700000000);
    EXPECT_TRUE(out.more);
}

TEST(RoundTrip, UserListEmptyAndFull) {
    UserList in;
    UserList out;
    round_trip(in, out);
    EXPECT_TRUE(out.users.empty());
    EXPECT_FALSE(out.more);

    // A full page with the longest names must fit one reply frame (wire.hpp's static_assert).
    in.users.assign(kMaxListPage, {std::string(kMaxUserName, 'n'), UserState::Active, 1, 2, 3});
    round_trip(in, out);
    EXPECT_EQ(out.users.size(), kMaxListPage);
}

TEST(RoundTrip, UserRequests) {
    AdminShow show;
    show.user = "dave";
    AdminShow show_out;
    round_trip(show, show_out);
    EXPECT_EQ(show_out.user, "dave");
    AdminUnlock unlock;
    unlock.user = std::string(kMaxUserName, 'x');
    AdminUnlock unlock_out;
    round_trip(unlock, unlock_out);
    EXPECT_EQ(unlock_out.user, unlock.user);
    AdminRemove remove;
    remove.user = "z";
    AdminRemove remove_out;
    round_trip(remove, remove_out);
    EXPECT_EQ(remove_out.user, "z");
    EXPECT_EQ(encode_frame(show)[7], static_cast<std::uint8_t>(MessageType::AdminShow));
    EXPECT_EQ(encode_frame(unlock)[7], static_cast<std::uint8_t>(MessageType::AdminUnlock));
    EXPECT_EQ(encode_frame(remove)[7], static_cast<std::uint8_t>(MessageType::AdminRemove));
}

TEST(RoundTrip, AdminSuspendFields) {
    AdminSuspend in;
    sample(in);
    AdminSuspend out;
    round_trip(in, out);
    EXPECT_EQ(out.user, "erin");
    EXPECT_EQ(out.reason, "left the company");
}

TEST(RoundTrip, UserInfoFields) {
    UserInfo in;
    sample(in);
    UserInfo out;
    round_trip(in, out);
    EXPECT_EQ(out.user, "frank");
    EXPECT_EQ(out.state, UserState::Suspended);
    EXPECT_EQ(out.failures, 7);
    EXPECT_EQ(out.reason, "too many failures");
    EXPECT_EQ(out.suspended_at, 1700000100);
    EXPECT_EQ(out.last_login, std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(out.created, std::numeric_limits<std::int64_t>::max());
    ASSERT_EQ(out.tokens.size(), 3U);
    EXPECT_EQ(out.tokens[0].state, TokenState::Active);
    EXPECT_EQ(out.tokens[0].label, "phone");
    EXPECT_EQ(out.tokens[0].last_used, 1700000000);
    EXPECT_EQ(out.tokens[1].id, std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(out.tokens[1].type, TokenType::Hotp);
    EXPECT_EQ(out.tokens[1].algorithm, Algorithm::Sha512);
    EXPECT_EQ(out.tokens[1].digits, 8);
    EXPECT_EQ(out.tokens[1].state, TokenState::Revoked);
    EXPECT_EQ(out.tokens[1].created, -5);
    EXPECT_EQ(out.tokens[2].state, TokenState::Pending);
}

TEST(RoundTrip, UserInfoWithMaxTokens) {
    UserInfo in;
    in.user = "g";
    in.tokens.resize(kMaxTokensPerUser);
    UserInfo out;
    round_trip(in, out);
    EXPECT_EQ(out.tokens.size(), kMaxTokensPerUser);
}

TEST(RoundTrip, DoneFields) {
    Done in;
    sample(in);
    Done out;
    round_trip(in, out);
    EXPECT_EQ(out.text, "user bob unlocked");
    in.text.clear();
    round_trip(in, out);
    EXPECT_EQ(out.text, "");
}

TEST(Encoding, ExactBytes) {
    Done done;
    done.text = "hi";
    EXPECT_EQ(encode_frame(done), (Bytes{0, 0, 0, 4, 0, 2, 0, 133, 0, 2, 'h', 'i'}));

    AdminList list;
    list.after = "";
    list.limit = 0x0102;
    EXPECT_EQ(encode_frame(list), (Bytes{0, 0, 0, 4, 0, 2, 0, 17, 0, 0, 1, 2}));
}

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
    for (const std::uint16_t version : std::array<std::uint16_t, 5>{0, 1, 3, 0x0200, 0xffff})
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

Bytes auth_step_payload(std::uint8_t outcome, std::uint16_t status, std::uint8_t echo) {
    Writer w;
    w.put_u8(outcome);
    w.put_u16(status);
    w.put_u8(echo);
    put_raw_string(w, "");
    put_raw_string(w, "");
    w.put_u8(0);
    return w.bytes();
}

TEST(Decode, AuthStepEnumRanges) {
    EXPECT_EQ(decode<AuthStep>(auth_step_payload(1, 0, 0)), DecodeError::None);
    EXPECT_EQ(decode<AuthStep>(auth_step_payload(3, 2003, 1)), DecodeError::None);
    for (const std::uint8_t outcome : std::array<std::uint8_t, 3>{0, 4, 255})
        EXPECT_EQ(decode<AuthStep>(auth_step_payload(outcome, 0, 0)), DecodeError::BadValue)
            << +outcome;
    for (const std::uint16_t status :
         std::array<std::uint16_t, 7>{1, 999, 1000, 1015, 2000, 2004, 65535})
        EXPECT_EQ(decode<AuthStep>(auth_step_payload(1, status, 0)), DecodeError::BadValue)
            << status;
    for (const std::uint8_t echo : std::array<std::uint8_t, 2>{2, 255})
        EXPECT_EQ(decode<AuthStep>(auth_step_payload(1, 0, echo)), DecodeError::BadValue) << +echo;
}

TEST(Decode, ErrorReplyStatusRange) {
    Writer w;
    w.put_u16(1015);
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
