// The check-and-consume rules of DESIGN section 2, with an injected clock.
#include "fixture.hpp"

namespace kotp::otpd::testing {
namespace {

using wire::Outcome;
using wire::Status;

class VerifierTest : public OtpdCore {};

TEST_F(VerifierTest, RightCodeLogsInAndActivatesThePendingToken) {
    const auto e = enroll("alice");
    const auto step = verify("alice", code_at(e, clock.now()));
    EXPECT_EQ(step.outcome, Outcome::Success);
    EXPECT_EQ(step.status, Status::Ok);
    EXPECT_NE(step.text.find("now active"), std::string::npos);
    Transaction txn(*store);
    const auto u = store->find_user("alice");
    const auto tokens = store->tokens_of(u->id);
    ASSERT_EQ(tokens.size(), 1u);
    EXPECT_EQ(tokens[0].state, wire::TokenState::Active);
    EXPECT_EQ(u->last_login, clock.now());
}

TEST_F(VerifierTest, BeginPromptsEnrolledUsersAndRefusesOthers) {
    enroll("alice");
    LoginProgress p;
    auto d = verifier->begin(login("alice"), p);
    EXPECT_EQ(d.reply.outcome, Outcome::Prompt);
    EXPECT_EQ(d.reply.prompt, "Verification code: ");
    LoginProgress q;
    d = verifier->begin(login("bob"), q);
    EXPECT_EQ(d.reply.outcome, Outcome::Failure);
    EXPECT_EQ(d.reply.status, Status::NotEnrolled);
    EXPECT_NE(d.reply.text.find("KS1001"), std::string::npos);
}

TEST_F(VerifierTest, SameCodeTwiceIsRefusedAsAlreadyUsedAndNotCounted) {
    const auto e = enroll("alice");
    const auto code = code_at(e, clock.now());
    ASSERT_EQ(verify("alice", code).outcome, Outcome::Success);
    const auto again = verify("alice", code);
    EXPECT_EQ(again.outcome, Outcome::Failure);
    EXPECT_EQ(again.status, Status::CodeAlreadyUsed);
    EXPECT_NE(again.text.find("KS1004"), std::string::npos);
    EXPECT_EQ(user("alice")->failures, 0u);
}

TEST_F(VerifierTest, AnOlderStepAfterANewerOneIsAReplay) {
    const auto e = enroll("alice");
    ASSERT_EQ(verify("alice", code_at(e, clock.now())).outcome, Outcome::Success);
    EXPECT_EQ(verify("alice", code_at(e, clock.now() - 30)).status, Status::CodeAlreadyUsed);
}

TEST_F(VerifierTest, WindowAcceptsPreviousAndNextStepOnly) {
    const auto e = enroll("alice");
    EXPECT_EQ(verify("alice", code_at(e, clock.now() - 30)).outcome, Outcome::Success);
    EXPECT_EQ(verify("alice", code_at(e, clock.now() + 30)).outcome, Outcome::Success);
    const auto far = verify("alice", code_at(e, clock.now() + 60));
    EXPECT_EQ(far.outcome, Outcome::Failure);
    EXPECT_EQ(far.status, Status::ClockSkew);  // valid two steps ahead: the clock looks wrong
    EXPECT_EQ(user("alice")->failures, 1u);
}

TEST_F(VerifierTest, CodeBeingTypedWhenTheStepChangesStillWorks) {
    const auto e = enroll("alice");
    const auto code = code_at(e, clock.now());
    clock.advance(25);  // the step changed while the user typed
    EXPECT_EQ(verify("alice", code).outcome, Outcome::Success);
}

TEST_F(VerifierTest, FiveWrongCodesSuspendAndThenEvenTheRightCodeIsRefused) {
    const auto e = enroll("alice");
    const auto right = code_at(e, clock.now());
    const std::string wrong = right == "000000" ? "111111" : "000000";
    for (int i = 1; i <= 4; ++i) {
        const auto step = verify("alice", wrong);
        EXPECT_EQ(step.status, Status::WrongCode);
        EXPECT_EQ(step.attempts_left, 5 - i);
        EXPECT_NE(step.text.find(std::to_string(5 - i) + (i == 4 ? " attempt " : " attempts ")), std::string::npos)
            << step.text;
    }
    const auto fifth = verify("alice", wrong);
    EXPECT_EQ(fifth.status, Status::Suspended);
    EXPECT_NE(fifth.text.find("KS1005"), std::string::npos);
    EXPECT_NE(fifth.text.find("5 failed attempts"), std::string::npos);
    EXPECT_EQ(verify("alice", right).status, Status::Suspended);
    LoginProgress p;
    EXPECT_EQ(verifier->begin(login("alice"), p).reply.status, Status::Suspended);
    const auto u = user("alice");
    EXPECT_EQ(u->state, wire::UserState::Suspended);
    EXPECT_EQ(u->failures, 5u);  // refusals while suspended do not count further
}

TEST_F(VerifierTest, UnlockLetsTheNextRightCodeIn) {
    const auto e = enroll("alice");
    for (int i = 0; i < 5; ++i) verify("alice", "999999" == code_at(e, clock.now()) ? "888888" : "999999");
    ASSERT_EQ(user("alice")->state, wire::UserState::Suspended);
    admin->unlock(root, wire::AdminUnlock{"alice"});
    EXPECT_EQ(verify("alice", code_at(e, clock.now())).outcome, Outcome::Success);
}

TEST_F(VerifierTest, ASuccessResetsTheFailureCount) {
    const auto e = enroll("alice");
    const std::string wrong = code_at(e, clock.now()) == "000000" ? "111111" : "000000";
    for (int i = 0; i < 4; ++i) verify("alice", wrong);
    ASSERT_EQ(verify("alice", code_at(e, clock.now())).outcome, Outcome::Success);
    EXPECT_EQ(user("alice")->failures, 0u);
    EXPECT_EQ(verify("alice", wrong).attempts_left, 4);
}

TEST_F(VerifierTest, ThresholdComesFromTheConfig) {
    config.lockout_threshold = 2;
    enroll("alice");
    EXPECT_EQ(verify("alice", "12345678").status, Status::WrongCode);  // 8 digits on a 6-digit token
    EXPECT_EQ(verify("alice", "12345678").status, Status::Suspended);
}

TEST_F(VerifierTest, LockoutDurationLiftsAFailureSuspensionButNotAnAdminOne) {
    config.lockout_duration = std::chrono::seconds(600);
    const auto e = enroll("alice");
    for (int i = 0; i < 5; ++i) verify("alice", "0000000");  // 7 digits: never matches, counts
    ASSERT_EQ(user("alice")->state, wire::UserState::Suspended);
    clock.advance(599);
    EXPECT_EQ(verify("alice", code_at(e, clock.now())).status, Status::Suspended);
    clock.advance(1);
    EXPECT_EQ(verify("alice", code_at(e, clock.now())).outcome, Outcome::Success);

    admin->suspend(root, wire::AdminSuspend{"alice", "left the project"});
    clock.advance(100000);
    const auto step = verify("alice", code_at(e, clock.now()));
    EXPECT_EQ(step.status, Status::Suspended);
    EXPECT_NE(step.text.find("administrator"), std::string::npos);
}

TEST_F(VerifierTest, MalformedInputIsRefusedWithoutCounting) {
    enroll("alice");
    for (const char* input : {"", "12345", "123456789", "12a456", "１２３４５６", "123456\n"})
        EXPECT_EQ(verify("alice", input).status, Status::BadCodeFormat) << input;
    EXPECT_EQ(user("alice")->failures, 0u);
}

TEST_F(VerifierTest, SpacesCopiedFromTheAppAreIgnored) {
    const auto e = enroll("alice");
    const auto code = code_at(e, clock.now());
    EXPECT_EQ(verify("alice", code.substr(0, 3) + " " + code.substr(3)).outcome, Outcome::Success);
}

TEST_F(VerifierTest, Sha256EightDigitSixtySecondToken) {
    const auto e = enroll("alice", wire::TokenType::Totp, wire::Algorithm::Sha256, 8, 60);
    EXPECT_EQ(e.secret.size(), 32u);
    EXPECT_NE(e.uri.find("algorithm=SHA256"), std::string::npos);
    EXPECT_EQ(verify("alice", code_at(e, clock.now(), 60, wire::Algorithm::Sha256, 8)).outcome, Outcome::Success);
}

TEST_F(VerifierTest, AnyOfSeveralTokensCountsAndTheLockoutIsPerUser) {
    const auto phone = enroll("alice");
    const auto spare = enroll("alice", wire::TokenType::Totp, wire::Algorithm::Sha512, 8, 30);
    EXPECT_EQ(verify("alice", code_at(spare, clock.now(), 30, wire::Algorithm::Sha512, 8)).outcome, Outcome::Success);
    EXPECT_EQ(verify("alice", code_at(phone, clock.now())).outcome, Outcome::Success);
}

TEST_F(VerifierTest, HotpLookAheadMovesTheCounterAndRefusesLowerCounters) {
    const auto e = enroll("alice", wire::TokenType::Hotp);
    const auto hotp = [&](std::uint64_t c) { return otp::hotp(e.secret, c, wire::Algorithm::Sha1, 6); };
    EXPECT_EQ(verify("alice", hotp(3)).outcome, Outcome::Success);  // counters 0-2 skipped
    EXPECT_EQ(verify("alice", hotp(3)).status, Status::CodeAlreadyUsed);
    EXPECT_EQ(verify("alice", hotp(1)).status, Status::CodeAlreadyUsed);
    EXPECT_EQ(verify("alice", hotp(4)).outcome, Outcome::Success);
    EXPECT_EQ(verify("alice", hotp(4 + 1 + 11)).status, Status::WrongCode);  // beyond the look-ahead
}

TEST_F(VerifierTest, ASecretThatCannotBeDecryptedNeitherLetsInNorCounts) {
    const auto e = enroll("alice");
    // Replace the master key: the sealed secret no longer opens.
    std::filesystem::remove(dir.path() + "/master.key");
    open();
    const auto step = verify("alice", code_at(e, clock.now()));
    EXPECT_EQ(step.outcome, Outcome::Failure);
    EXPECT_EQ(step.status, Status::InternalError);
    EXPECT_EQ(user("alice")->failures, 0u);
}

TEST_F(VerifierTest, StateSurvivesReopeningTheDatabase) {
    const auto e = enroll("alice");
    const auto code = code_at(e, clock.now());
    ASSERT_EQ(verify("alice", code).outcome, Outcome::Success);
    verify("alice", "000000" == code ? "111111" : "000000");
    open();
    EXPECT_EQ(verify("alice", code).status, Status::CodeAlreadyUsed);
    EXPECT_EQ(user("alice")->failures, 1u);
}

TEST_F(VerifierTest, EveryAttemptIsAudited) {
    const auto e = enroll("alice");
    verify("alice", code_at(e, clock.now()));
    verify("alice", "000000");
    LoginProgress p;
    verifier->begin(login("nobody-here"), p);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() + "/kotp.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT result, service, rhost FROM audit WHERE service = 'sshd' ORDER BY id", -1, &s, nullptr);
    std::vector<std::string> results;
    while (sqlite3_step(s) == SQLITE_ROW) results.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    sqlite3_close(db);
    ASSERT_EQ(results.size(), 3u);
    EXPECT_EQ(results[0], "KS0000");
    EXPECT_TRUE(results[1] == "KS1003" || results[1] == "KS1004");
    EXPECT_EQ(results[2], "KS1001");
}

}  // namespace
}  // namespace kotp::otpd::testing
