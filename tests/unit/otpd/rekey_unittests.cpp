// The master key file written back (atomically, 0600) and the rekey run batch by batch, with
// logins between the batches: the test plays the io_context with a queue it drains by hand.
#include <sys/stat.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "fixture.hpp"
#include "kotp/hex.hpp"

namespace kotp::otpd::testing {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

long lines_of(const std::string& path) {
    const auto text = slurp(path);
    return std::count(text.begin(), text.end(), '\n');
}

AesKey key_of(std::uint8_t fill) {
    AesKey key{};
    key.fill(fill);
    return key;
}

class MasterKeyFileTest : public ::testing::Test {
protected:
    TempDir dir;
    OsRandom random;
    std::string path() const { return dir.path() + "/master.key"; }
};

TEST_F(MasterKeyFileTest, ReplaceWritesEveryKeyWithTheCurrentOneLastAndReloads) {
    MasterKeys keys;
    keys.add(3, key_of(0x33));
    keys.add(7, key_of(0x77));
    keys.add(5, key_of(0x55));  // current, though not the highest id
    EXPECT_EQ(keys.next_id(), 8u);
    std::string error;
    ASSERT_TRUE(replace_master_key_file(path(), keys, error)) << error;
    EXPECT_EQ(slurp(path()), "3 " + std::string(64, '3') + "\n7 " + std::string(64, '7') + "\n5 " +
                                 std::string(64, '5') + "\n");
    struct stat st {};
    ASSERT_EQ(::stat(path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(st.st_uid, ::geteuid());

    const auto loaded = load_or_create_master_keys(path(), random, error);
    ASSERT_TRUE(loaded) << error;
    EXPECT_EQ(loaded->current_id(), 5u);
    EXPECT_EQ(loaded->ids(), (std::vector<std::uint32_t>{3, 5, 7}));
    EXPECT_EQ(*loaded->find(7), key_of(0x77));
}

TEST_F(MasterKeyFileTest, RemoveForgetsOlderKeysButNeverTheCurrentOne) {
    MasterKeys keys;
    keys.add(1, key_of(1));
    keys.add(2, key_of(2));
    EXPECT_FALSE(keys.remove(2));
    EXPECT_FALSE(keys.remove(9));
    EXPECT_TRUE(keys.remove(1));
    EXPECT_EQ(keys.find(1), nullptr);
    EXPECT_EQ(keys.ids(), std::vector<std::uint32_t>{2});
    std::string error;
    ASSERT_TRUE(replace_master_key_file(path(), keys, error)) << error;
    EXPECT_EQ(slurp(path()), "2 0202020202020202020202020202020202020202020202020202020202020202\n");
}

TEST_F(MasterKeyFileTest, AStaleTempFileFromACrashIsReplacedAndGone) {
    {
        std::ofstream stale(path() + ".new");
        stale << "1 half a line from a crash";
    }
    MasterKeys keys;
    keys.add(1, key_of(0xab));
    std::string error;
    ASSERT_TRUE(replace_master_key_file(path(), keys, error)) << error;
    EXPECT_FALSE(std::filesystem::exists(path() + ".new"));
    EXPECT_EQ(slurp(path()).substr(0, 4), "1 ab");
}

TEST_F(MasterKeyFileTest, AFailedWriteLeavesTheFileAsItWasAndSaysWhy) {
    MasterKeys keys;
    keys.add(1, key_of(0x11));
    std::string error;
    ASSERT_TRUE(replace_master_key_file(path(), keys, error)) << error;
    const auto before = slurp(path());
    // A directory where the temp file goes: neither removable as a file nor creatable.
    std::filesystem::create_directory(path() + ".new");
    std::filesystem::create_directory(path() + ".new/x");
    keys.add(2, key_of(0x22));
    EXPECT_FALSE(replace_master_key_file(path(), keys, error));
    EXPECT_NE(error.find(path() + ".new"), std::string::npos) << error;
    EXPECT_EQ(slurp(path()), before);

    EXPECT_FALSE(replace_master_key_file(dir.path() + "/missing/master.key", keys, error));
    EXPECT_NE(error.find("cannot create master key file"), std::string::npos) << error;
}

class RekeyServiceTest : public OtpdCore {
protected:
    void SetUp() override {
        OtpdCore::SetUp();
        rekey = std::make_unique<RekeyService>(*store, keys, *box, random, clock, dir.path() + "/master.key",
                                               [this](std::function<void()> batch) { queue.push_back(std::move(batch)); });
        rekey_handler = std::make_unique<RequestHandler>(*verifier, *admin, authorizer, rekey.get());
    }

    wire::RekeyStatus ask(wire::RekeyAction action, bool keep_old_keys = false, const Peer* peer = nullptr) {
        wire::AdminRekey request;
        request.action = action;
        request.keep_old_keys = keep_old_keys;
        const auto frame = wire::encode_frame(request);
        SessionState state;
        const auto r = rekey_handler->handle(peer ? *peer : root, state, wire::MessageType::AdminRekey,
                                             std::span(frame).subspan(wire::kHeaderSize));
        wire::RekeyStatus status;
        EXPECT_EQ(wire::decode_payload(std::span(r.reply).subspan(wire::kHeaderSize), status), wire::DecodeError::None);
        return status;
    }
    // Runs what the rekey posted, one batch; false when nothing was queued.
    bool run_one() {
        if (queue.empty()) return false;
        auto batch = std::move(queue.front());
        queue.pop_front();
        batch();
        return true;
    }
    std::map<std::uint32_t, std::int64_t> key_ids() {
        Transaction txn(*store);
        return store->sealed_key_ids();
    }
    // Activates a pending TOTP token with its first code (logins of the current step).
    void activate(const std::string& user, const Enrolment& e) {
        ASSERT_EQ(verify(user, code_at(e, clock.now())).status, wire::Status::Ok) << user;
    }

    std::deque<std::function<void()>> queue;
    std::unique_ptr<RekeyService> rekey;
    std::unique_ptr<RequestHandler> rekey_handler;
};

TEST_F(RekeyServiceTest, BatchesLetLoginsThroughAndEndWithOneKey) {
    // 300 tokens: two batches (256 + 44). 299 imported (active at once), one pending enrolment.
    std::vector<Enrolment> tokens;
    for (int i = 0; i < 299; ++i) {
        Enrolment e;
        e.secret.assign(20, static_cast<std::uint8_t>(i));
        tokens.push_back(e);
    }
    for (int from = 0; from < 299; from += wire::kMaxImportBatch) {
        wire::AdminImport batch;
        for (int i = from; i < std::min(299, from + int{wire::kMaxImportBatch}); ++i) {
            wire::ImportToken t;
            t.user = "u" + std::to_string(i);
            t.secret_hex = hex_encode(tokens[static_cast<std::size_t>(i)].secret);
            batch.tokens.push_back(t);
        }
        admin->import_tokens(root, batch);
    }
    tokens.push_back(enroll("u299"));
    ASSERT_EQ(key_ids(), (std::map<std::uint32_t, std::int64_t>{{1, 300}}));

    const auto started = ask(wire::RekeyAction::Start);
    EXPECT_TRUE(started.accepted);
    EXPECT_EQ(started.state, wire::RekeyState::Running);
    EXPECT_EQ(started.key_id, 2u);
    EXPECT_EQ(started.total, 300u);
    EXPECT_EQ(keys.current_id(), 2u);
    // The new key is in the file before anything is sealed with it.
    std::string error;
    ASSERT_EQ(load_or_create_master_keys(dir.path() + "/master.key", random, error)->current_id(), 2u) << error;
    const auto new_user = enroll("late");  // sealed under the new key at once
    EXPECT_EQ(SecretBox::key_id_of([&] {
                  Transaction txn(*store);
                  return store->tokens_of(store->find_user("late")->id).at(0).sealed_secret;
              }()),
              2u);

    ASSERT_TRUE(run_one());
    EXPECT_EQ(key_ids(), (std::map<std::uint32_t, std::int64_t>{{1, 44}, {2, 257}}));
    // Between batches: a login under the new key, one under the old key, a pending activation.
    EXPECT_EQ(verify("u0", code_at(tokens[0], clock.now())).status, wire::Status::Ok);
    EXPECT_EQ(verify("u199", code_at(tokens[199], clock.now())).status, wire::Status::Ok);
    activate("u299", tokens[299]);
    activate("late", new_user);
    // A second start is refused while this one runs, with what is running.
    const auto refused = ask(wire::RekeyAction::Start);
    EXPECT_FALSE(refused.accepted);
    EXPECT_EQ(refused.run, started.run);
    EXPECT_EQ(refused.state, wire::RekeyState::Running);
    EXPECT_EQ(refused.resealed, 256u);
    EXPECT_EQ(keys.current_id(), 2u);

    while (run_one()) {
    }
    const auto done = ask(wire::RekeyAction::Status);
    EXPECT_EQ(done.state, wire::RekeyState::Done);
    EXPECT_EQ(done.resealed, 300u);
    EXPECT_EQ(done.unreadable, 0u);
    EXPECT_EQ(done.removed_key_ids, std::vector<std::uint32_t>{1});
    EXPECT_TRUE(done.kept_key_ids.empty());
    EXPECT_EQ(key_ids(), (std::map<std::uint32_t, std::int64_t>{{2, 301}}));
    EXPECT_EQ(keys.ids(), std::vector<std::uint32_t>{2});
    EXPECT_EQ(slurp(dir.path() + "/master.key").substr(0, 2), "2 ");
    EXPECT_EQ(lines_of(dir.path() + "/master.key"), 1);
    const auto audit = [&] {
        Transaction txn(*store);
        return store->audit_page("", 0, 0, 2);
    }();
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(audit[0].result, "rekey");
    EXPECT_NE(audit[0].detail.find("by uid 0: finished: 300 secret(s) re-sealed under key 2"), std::string::npos)
        << audit[0].detail;
    clock.advance(30);
    for (const int i : {0, 150, 250, 298})
        EXPECT_EQ(verify("u" + std::to_string(i), code_at(tokens[static_cast<std::size_t>(i)], clock.now())).status,
                  wire::Status::Ok)
            << i;
}

TEST_F(RekeyServiceTest, ASecretThatDoesNotOpenIsCountedAndItsKeyKept) {
    enroll("alice");
    enroll("bob");
    {
        // bob's blob damaged (a flipped ciphertext byte): the tag no longer verifies.
        Transaction txn(*store);
        const auto token = store->tokens_of(store->find_user("bob")->id).at(0);
        auto damaged = token.sealed_secret;
        damaged.at(20) ^= 0x01;
        ASSERT_TRUE(store->replace_sealed_secret(token.id, token.sealed_secret, damaged));
        txn.commit();
    }
    ask(wire::RekeyAction::Start);
    while (run_one()) {
    }
    const auto done = ask(wire::RekeyAction::Status);
    EXPECT_EQ(done.state, wire::RekeyState::Done);
    EXPECT_EQ(done.resealed, 1u);
    EXPECT_EQ(done.unreadable, 1u);
    EXPECT_TRUE(done.removed_key_ids.empty());
    EXPECT_EQ(done.kept_key_ids, std::vector<std::uint32_t>{1});  // bob's row still names key 1
    EXPECT_EQ(keys.ids(), (std::vector<std::uint32_t>{1, 2}));
}

TEST_F(RekeyServiceTest, KeepOldKeysAndRevokedTokens) {
    enroll("alice");
    enroll("bob");
    wire::AdminReset reset;
    reset.user = "bob";
    reset.valid_seconds = 3600;
    admin->reset(root, reset);  // bob's blob wiped: nothing to re-seal
    const auto started = ask(wire::RekeyAction::Start, true);
    EXPECT_EQ(started.total, 1u);
    while (run_one()) {
    }
    const auto done = ask(wire::RekeyAction::Status);
    EXPECT_EQ(done.resealed, 1u);
    EXPECT_EQ(done.kept_key_ids, std::vector<std::uint32_t>{1});
    EXPECT_EQ(keys.ids(), (std::vector<std::uint32_t>{1, 2}));
    EXPECT_EQ(lines_of(dir.path() + "/master.key"), 2);
}

TEST_F(RekeyServiceTest, OnlyAdministratorsMayRekey) {
    const Peer stranger{65534, 65534, 42};
    wire::AdminRekey request;
    request.action = wire::RekeyAction::Start;
    const auto frame = wire::encode_frame(request);
    SessionState state;
    const auto r = rekey_handler->handle(stranger, state, wire::MessageType::AdminRekey,
                                         std::span(frame).subspan(wire::kHeaderSize));
    EXPECT_TRUE(r.close);
    wire::ErrorReply e;
    ASSERT_EQ(wire::decode_payload(std::span(r.reply).subspan(wire::kHeaderSize), e), wire::DecodeError::None);
    EXPECT_EQ(e.status, wire::Status::PermissionDenied);
    EXPECT_EQ(keys.current_id(), 1u);
    EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace kotp::otpd::testing
