// Activation codes, first-login enrolment, recovery codes, replace, reset and resync.
#include <regex>

#include "fixture.hpp"

namespace kotp::otpd::testing {
namespace {

using wire::Intent;
using wire::Outcome;
using wire::Status;

class EnrolmentTest : public OtpdCore {
protected:
    std::string issue(const std::string& user, std::uint32_t valid = 72 * 3600) {
        wire::AdminIssue request;
        request.user = user;
        request.valid_seconds = valid;
        const auto frame = admin->issue(root, request);
        wire::ActivationIssued reply;
        EXPECT_EQ(wire::decode_payload(std::span(frame).subspan(wire::kHeaderSize), reply), wire::DecodeError::None);
        return reply.code;
    }
    std::vector<std::string> recovery(const std::string& user) {
        const auto frame = admin->recovery(root, wire::AdminRecovery{user});
        wire::RecoveryCodes reply;
        EXPECT_EQ(wire::decode_payload(std::span(frame).subspan(wire::kHeaderSize), reply), wire::DecodeError::None);
        return reply.codes;
    }
    static std::vector<std::uint8_t> secret_in(const std::string& text) {
        std::smatch m;
        EXPECT_TRUE(std::regex_search(text, m, std::regex("secret=([A-Z2-7]+)"))) << text;
        return base32_decode(m[1].str()).value_or(std::vector<std::uint8_t>{});
    }
    LoginDecision answer(const std::string& user, LoginProgress& p, const std::string& response) {
        return verifier->answer(login(user), response, p);
    }
};

TEST_F(EnrolmentTest, FirstLoginWithAnActivationCode) {
    const auto code = issue("alice");
    ASSERT_EQ(code.size(), 6u);
    wire::AuthStep first;
    auto p = begun("alice", Intent::Login, &first);
    ASSERT_EQ(first.outcome, Outcome::Prompt);
    EXPECT_EQ(first.prompt, "Activation code: ");
    EXPECT_TRUE(first.echo);
    const auto shown = answer("alice", p, code);
    ASSERT_EQ(shown.reply.outcome, Outcome::Prompt) << shown.reply.text;
    EXPECT_NE(shown.reply.text.find("otpauth://totp/kotp:alice?secret="), std::string::npos);
    EXPECT_NE(shown.reply.text.find("Key string: "), std::string::npos);
    EXPECT_NE(shown.reply.text.find("\u2588"), std::string::npos);  // the QR code
    const auto secret = secret_in(shown.reply.text);
    const auto done = answer("alice", p, otp::totp(secret, clock.now(), 30, wire::Algorithm::Sha1, 6));
    ASSERT_EQ(done.reply.outcome, Outcome::Success) << done.reply.text;
    EXPECT_NE(done.reply.text.find("is now active"), std::string::npos);
    const std::regex recovery_code("[a-z2-7]{5}-[a-z2-7]{5}");
    const auto found = std::distance(std::sregex_iterator(done.reply.text.begin(), done.reply.text.end(), recovery_code),
                                     std::sregex_iterator());
    EXPECT_EQ(found, 10) << done.reply.text;
    // The activation code is used up.
    auto again = begun("alice", Intent::Enroll);
    EXPECT_EQ(again.stage, LoginStage::None);
}

TEST_F(EnrolmentTest, WrongActivationCodesCountAndSuspend) {
    const auto code = issue("alice");
    const std::string wrong = code == "000000" ? "111111" : "000000";
    for (int i = 1; i <= 5; ++i) {
        auto p = begun("alice", Intent::Login);
        const auto d = answer("alice", p, wrong);
        EXPECT_EQ(d.reply.status, i < 5 ? Status::ActivationFailed : Status::Suspended) << i;
    }
    auto p = begun("alice", Intent::Login);
    EXPECT_EQ(p.stage, LoginStage::None);  // refused without asking
}

TEST_F(EnrolmentTest, AnExpiredActivationCodeSaysSo) {
    const auto code = issue("alice", 2);
    clock.advance(3);
    auto p = begun("alice", Intent::Login);
    const auto d = answer("alice", p, code);
    EXPECT_EQ(d.reply.status, Status::ActivationFailed);
    EXPECT_NE(d.reply.text.find("expired"), std::string::npos) << d.reply.text;
}

TEST_F(EnrolmentTest, IssuingAgainVoidsThePreviousCode) {
    const auto old_code = issue("alice");
    const auto new_code = issue("alice");
    if (old_code == new_code) GTEST_SKIP() << "the two random codes happen to be equal";
    auto p = begun("alice", Intent::Login);
    EXPECT_EQ(answer("alice", p, old_code).reply.status, Status::ActivationFailed);
}

TEST_F(EnrolmentTest, RecoveryCodesWorkOnceEach) {
    enroll("alice");
    const auto codes = recovery("alice");
    ASSERT_EQ(codes.size(), 10u);
    const auto d = verify("alice", codes[3]);
    EXPECT_EQ(d.outcome, Outcome::Success);
    EXPECT_NE(d.text.find("recovery code"), std::string::npos);
    EXPECT_NE(d.text.find("9 left"), std::string::npos);
    EXPECT_EQ(verify("alice", codes[3]).status, Status::WrongCode);
    // A new set voids the old one.
    recovery("alice");
    EXPECT_EQ(verify("alice", codes[4]).status, Status::WrongCode);
}

TEST_F(EnrolmentTest, ReplaceNeedsACurrentCodeAndRevokesTheOldToken) {
    const auto old_token = enroll("alice");
    ASSERT_EQ(verify("alice", code_at(old_token, clock.now())).outcome, Outcome::Success);
    clock.advance(30);
    auto p = begun("alice", Intent::Replace);
    ASSERT_EQ(p.stage, LoginStage::CurrentCode);
    const auto shown = answer("alice", p, code_at(old_token, clock.now()));
    ASSERT_EQ(shown.reply.outcome, Outcome::Prompt) << shown.reply.text;
    const auto secret = secret_in(shown.reply.text);
    const auto done = answer("alice", p, otp::totp(secret, clock.now(), 30, wire::Algorithm::Sha1, 6));
    ASSERT_EQ(done.reply.outcome, Outcome::Success) << done.reply.text;
    clock.advance(30);
    EXPECT_EQ(verify("alice", code_at(old_token, clock.now())).status, Status::WrongCode);
    EXPECT_EQ(verify("alice", otp::totp(secret, clock.now(), 30, wire::Algorithm::Sha1, 6)).outcome, Outcome::Success);
}

TEST_F(EnrolmentTest, NewRecoveryCodesNeedACurrentCode) {
    const auto e = enroll("alice");
    ASSERT_EQ(verify("alice", code_at(e, clock.now())).outcome, Outcome::Success);
    clock.advance(30);
    auto p = begun("alice", Intent::NewRecoveryCodes);
    EXPECT_EQ(answer("alice", p, "000000" == code_at(e, clock.now()) ? "111111" : "000000").reply.status,
              Status::WrongCode);
    p = begun("alice", Intent::NewRecoveryCodes);
    const auto d = answer("alice", p, code_at(e, clock.now()));
    EXPECT_EQ(d.reply.outcome, Outcome::Success);
    EXPECT_NE(d.reply.text.find("recovery codes"), std::string::npos);
}

TEST_F(EnrolmentTest, ResetRevokesTokensAndRecoveryCodesAndIssuesAnActivationCode) {
    const auto e = enroll("alice");
    const auto codes = recovery("alice");
    const auto frame = admin->reset(root, wire::AdminReset{"alice", 3600});
    wire::ActivationIssued reply;
    ASSERT_EQ(wire::decode_payload(std::span(frame).subspan(wire::kHeaderSize), reply), wire::DecodeError::None);
    EXPECT_EQ(reply.code.size(), 6u);
    EXPECT_EQ(verify("alice", code_at(e, clock.now())).status, Status::WrongCode);
    EXPECT_EQ(verify("alice", codes[0]).status, Status::WrongCode);
    wire::AuthStep first;
    begun("alice", Intent::Login, &first);
    EXPECT_EQ(first.prompt, "Activation code: ");
}

TEST_F(EnrolmentTest, ResyncFindsTheDriftOfASkewedTotpToken) {
    const auto e = enroll("alice");
    const std::int64_t ahead = clock.now() + 10 * 30;  // the device runs 5 minutes fast
    EXPECT_EQ(verify("alice", code_at(e, ahead)).status, Status::ClockSkew);  // recognised, not accepted
    wire::AdminResync request;
    request.user = "alice";
    request.code1 = code_at(e, ahead);
    request.code2 = code_at(e, ahead + 30);
    const auto frame = admin->resync(root, request);
    ASSERT_EQ(static_cast<wire::MessageType>(frame.at(7)), wire::MessageType::Done);
    clock.advance(60);
    EXPECT_EQ(verify("alice", code_at(e, clock.now() + 10 * 30)).outcome, Outcome::Success);
    EXPECT_EQ(verify("alice", code_at(e, ahead + 30)).status, Status::CodeAlreadyUsed);
}

TEST_F(EnrolmentTest, ResyncMovesAHotpCounter) {
    const auto e = enroll("alice", wire::TokenType::Hotp);
    const auto hotp = [&](std::uint64_t c) { return otp::hotp(e.secret, c, wire::Algorithm::Sha1, 6); };
    EXPECT_EQ(verify("alice", hotp(40)).status, Status::WrongCode);  // beyond the look-ahead
    wire::AdminResync request;
    request.user = "alice";
    request.code1 = hotp(40);
    request.code2 = hotp(41);
    ASSERT_EQ(static_cast<wire::MessageType>(admin->resync(root, request).at(7)), wire::MessageType::Done);
    EXPECT_EQ(verify("alice", hotp(41)).status, Status::CodeAlreadyUsed);
    EXPECT_EQ(verify("alice", hotp(42)).outcome, Outcome::Success);
}

}  // namespace
}  // namespace kotp::otpd::testing
