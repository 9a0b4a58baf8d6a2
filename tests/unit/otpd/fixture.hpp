// A whole otpd core in a temp folder with a clock the test moves: real SQLite, real AES-GCM.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "admin_service.hpp"
#include "kotp/base32.hpp"
#include "kotp/codec.hpp"
#include "kotp/otp.hpp"
#include "master_key.hpp"
#include "request_handler.hpp"
#include "secret_box.hpp"
#include "sqlite_store.hpp"
#include <sqlite3.h>
#include "verifier.hpp"

namespace kotp::otpd::testing {

class FakeClock final : public Clock {
public:
    std::int64_t now() const override { return now_; }
    void set(std::int64_t t) { now_ = t; }
    void advance(std::int64_t seconds) { now_ += seconds; }

private:
    std::int64_t now_ = 1'700'000'010;  // 10 s into a 30 s step
};

class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/kotp-test-XXXXXX";
        path_ = ::mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

struct Enrolment {
    std::int64_t token_id = 0;
    std::vector<std::uint8_t> secret;
    std::string secret_b32;
    std::string uri;
};

class OtpdCore : public ::testing::Test {
protected:
    void SetUp() override { open(); }

    void open() {
        verifier.reset();
        admin.reset();
        handler.reset();
        box.reset();
        store.reset();
        std::string error;
        auto loaded = load_or_create_master_keys(dir.path() + "/master.key", random, error);
        ASSERT_TRUE(loaded) << error;
        keys = std::move(*loaded);
        store = std::make_unique<SqliteStore>(dir.path() + "/kotp.db");
        box = std::make_unique<SecretBox>(keys, random);
        verifier = std::make_unique<Verifier>(*store, *box, random, clock, config);
        admin = std::make_unique<AdminService>(*store, *box, random, clock, config);
        handler = std::make_unique<RequestHandler>(*verifier, *admin, authorizer);
    }

    Enrolment enroll(const std::string& user, wire::TokenType type = wire::TokenType::Totp,
                     wire::Algorithm algorithm = wire::Algorithm::Sha1, std::uint8_t digits = 6,
                     std::uint16_t period = 30) {
        wire::AdminEnroll request;
        request.user = user;
        request.type = type;
        request.algorithm = algorithm;
        request.digits = digits;
        request.period = period;
        const auto frame = admin->enroll(root, request);
        Enrolment out;
        wire::Enrolled reply;
        EXPECT_EQ(static_cast<int>(frame.at(7)), static_cast<int>(wire::MessageType::Enrolled));
        EXPECT_EQ(wire::decode_payload(std::span(frame).subspan(wire::kHeaderSize), reply), wire::DecodeError::None);
        out.token_id = static_cast<std::int64_t>(reply.token_id);
        out.secret_b32 = reply.secret;
        out.uri = reply.uri;
        out.secret = base32_decode(reply.secret).value();
        return out;
    }

    std::string code_at(const Enrolment& e, std::int64_t time, std::uint32_t period = 30,
                        wire::Algorithm algorithm = wire::Algorithm::Sha1, int digits = 6) {
        return otp::totp(e.secret, time, period, algorithm, digits);
    }

    LoginContext login(const std::string& user) { return LoginContext{user, "sshd", "192.0.2.7", "ssh"}; }

    wire::AuthStep verify(const std::string& user, const std::string& code) {
        return verifier->verify_code(login(user), code).reply;
    }

    // A LoginProgress after BEGIN with the given intent.
    LoginProgress begun(const std::string& user, wire::Intent intent, wire::AuthStep* first = nullptr) {
        LoginProgress p;
        p.intent = intent;
        const auto d = verifier->begin(login(user), p);
        if (first != nullptr) *first = d.reply;
        return p;
    }

    std::optional<UserRecord> user(const std::string& name) {
        Transaction txn(*store);
        return store->find_user(name);
    }

    TempDir dir;
    FakeClock clock;
    OsRandom random;
    Config config;
    MasterKeys keys;
    Authorizer authorizer{"kotp-admin"};
    Peer root{0, 0, 1};
    std::unique_ptr<SqliteStore> store;
    std::unique_ptr<SecretBox> box;
    std::unique_ptr<Verifier> verifier;
    std::unique_ptr<AdminService> admin;
    std::unique_ptr<RequestHandler> handler;
};

}  // namespace kotp::otpd::testing
