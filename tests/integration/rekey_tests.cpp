// kotp-admin rekey against a live otpd: every secret re-sealed under a new master key while real
// PAM logins (pam_kotp.so through libpam, codes from oathtool) go on, the old key out of use and
// out of the file, and a SIGKILL in the middle of a large rekey losing nothing.
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;
using SteadyClock = std::chrono::steady_clock;

constexpr uid_t kNobody = 65534;

// An HOTP user of the load: its secret and the codes for counters 0, 1, 2 ... from oathtool.
struct HotpUser {
    std::string name;
    std::string hex;
    std::vector<std::string> codes;
    std::size_t next = 0;
};

class RekeyTest : public OtpdFixture {
protected:
    std::string key_file() const { return state_dir + "/master.key"; }
    std::string db() const { return state_dir + "/kotp.db"; }

    std::string sql(const std::string& query) {
        const auto r = run({"sqlite3", db(), query});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    // Sealed secrets per master key id: the id is the first 4 bytes of each blob (big-endian).
    std::map<std::string, int> blobs_by_key_id() {
        std::map<std::string, int> out;
        std::istringstream lines(sql("SELECT hex(substr(sealed_secret, 1, 4)), count(*) FROM tokens "
                                     "WHERE length(sealed_secret) > 0 GROUP BY 1"));
        for (std::string line; std::getline(lines, line);) {
            const auto bar = line.find('|');
            if (bar != std::string::npos) out[line.substr(0, bar)] = std::stoi(line.substr(bar + 1));
        }
        return out;
    }
    // The ids of master.key's lines, in file order.
    std::vector<std::string> key_ids() {
        std::vector<std::string> ids;
        std::istringstream lines(read_file(key_file()));
        for (std::string line; std::getline(lines, line);)
            if (!line.empty()) ids.push_back(line.substr(0, line.find(' ')));
        return ids;
    }

    static std::string random_hex(std::mt19937_64& rng, std::size_t bytes) {
        static constexpr char kDigits[] = "0123456789abcdef";
        std::string hex;
        for (std::size_t i = 0; i < bytes * 2; ++i) hex.push_back(kDigits[rng() % 16]);
        return hex;
    }

    // Imports `count` HOTP users (pam_oath usersfile, counter 0) with the codes of `codes` counters.
    std::vector<HotpUser> import_hotp_users(const std::string& prefix, int count, int codes) {
        std::mt19937_64 rng(std::random_device{}());
        std::vector<HotpUser> users;
        std::string file = "# rekey test\n";
        for (int i = 0; i < count; ++i) {
            HotpUser u{prefix + std::to_string(i), random_hex(rng, 20), {}, 0};
            file += "HOTP " + u.name + " - " + u.hex + "\n";
            const auto r = run({"oathtool", "--hotp", "-c", "0", "-w", std::to_string(codes - 1), u.hex});
            EXPECT_EQ(r.exit_code, 0) << r.err;
            std::istringstream lines(r.out);
            for (std::string code; std::getline(lines, code);) u.codes.push_back(code);
            users.push_back(std::move(u));
        }
        write_file(dir + "/users.oath", file);
        RunOptions options;
        options.timeout = std::chrono::seconds(120);
        const auto r = admin({"import", "--format", "oath", dir + "/users.oath"}, options);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return users;
    }

    // Imports `count` TOTP users named PREFIXi from a CSV; returns their Base32 secrets by index.
    std::vector<std::string> import_totp_users(const std::string& prefix, int count) {
        std::mt19937_64 rng(std::random_device{}());
        static constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        std::vector<std::string> secrets;
        std::string csv = "user,secret\n";
        csv.reserve(static_cast<std::size_t>(count) * 48);
        for (int i = 0; i < count; ++i) {
            std::string secret;
            for (int j = 0; j < 32; ++j) secret.push_back(kBase32[rng() % 32]);
            csv += prefix + std::to_string(i) + "," + secret + "\n";
            secrets.push_back(std::move(secret));
        }
        write_file(dir + "/users.csv", csv);
        RunOptions options;
        options.timeout = std::chrono::seconds(300);
        const auto r = admin({"import", "--format", "csv", dir + "/users.csv"}, options);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return secrets;
    }

    // Every user logs in once with its next HOTP code, spread over `threads` threads; returns
    // the failures (user and output).
    std::vector<std::string> log_in_each(std::vector<HotpUser>& users, unsigned threads) {
        std::vector<std::string> failures;
        std::mutex mutex;
        std::vector<std::thread> workers;
        for (unsigned t = 0; t < threads; ++t)
            workers.emplace_back([&, t] {
                for (std::size_t i = t; i < users.size(); i += threads) {
                    auto& u = users[i];
                    const auto r = login(u.name, {u.codes.at(u.next++)});
                    if (r.exit_code != 0) {
                        const std::lock_guard<std::mutex> lock(mutex);
                        failures.push_back(u.name + ": " + r.out + r.err);
                    }
                }
            });
        for (auto& w : workers) w.join();
        return failures;
    }
};

TEST_F(RekeyTest, RekeyDuringALoginLoadLosesNoLoginAndLeavesNoSecretUnderTheOldKey) {
    // 300 users who log in during the rekey (HOTP: every login has a fresh right code, however
    // fast they come), 20,000 more so that the rekey takes many batches (80), and one pending enrolment.
    auto users = import_hotp_users("load", 300, 40);
    import_totp_users("idle", 20000);
    const auto pending = enroll("pendy");
    ASSERT_EQ(key_ids(), std::vector<std::string>{"1"});
    ASSERT_EQ(blobs_by_key_id(), (std::map<std::string, int>{{"00000001", 20301}}));
    const std::string old_key_file = read_file(key_file());
    // Some old blobs, to look for in the database files afterwards.
    std::istringstream old_blob_lines(sql("SELECT hex(sealed_secret) FROM tokens ORDER BY random() LIMIT 200"));
    std::vector<std::string> old_blobs;
    for (std::string line; std::getline(old_blob_lines, line);) old_blobs.push_back(line);

    // Four threads log users in, round robin, each user with its next counter's code.
    std::atomic<bool> stop{false};
    std::atomic<int> logins{0};
    std::mutex mutex;
    std::vector<std::string> failures;
    std::vector<SteadyClock::time_point> completed;
    constexpr unsigned kThreads = 4;
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < kThreads; ++t)
        workers.emplace_back([&, t] {
            for (std::size_t i = t; !stop; i += kThreads) {
                auto& u = users[i % users.size()];
                if (u.next >= u.codes.size()) break;
                const auto r = login(u.name, {u.codes[u.next++]});
                const std::lock_guard<std::mutex> lock(mutex);
                ++logins;
                completed.push_back(SteadyClock::now());
                if (r.exit_code != 0) failures.push_back(u.name + ": " + r.out + r.err);
            }
        });
    while (logins < 20) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto rekey_start = SteadyClock::now();
    RunOptions options;
    options.timeout = std::chrono::seconds(120);
    const auto rekey = admin({"rekey"}, options);
    const auto rekey_end = SteadyClock::now();
    const int logins_at_end = logins;
    while (logins < logins_at_end + 20) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop = true;
    for (auto& w : workers) w.join();

    ASSERT_EQ(rekey.exit_code, 0) << rekey.out << rekey.err;
    EXPECT_THAT(rekey.out, HasSubstr("Re-sealed 20301 secret(s) under master key 2"));
    EXPECT_THAT(rekey.out, HasSubstr("Removed key(s) 1 from master.key"));
    EXPECT_THAT(rekey.out, HasSubstr("A database backup taken before now"));
    EXPECT_TRUE(failures.empty()) << failures.size() << " failed login(s), first: " << failures.front();
    int during = 0;
    for (const auto& t : completed) during += t > rekey_start && t < rekey_end;
    const auto rekey_ms = std::chrono::duration_cast<std::chrono::milliseconds>(rekey_end - rekey_start).count();
    std::cout << "rekey of 20301 secrets took " << rekey_ms << " ms; " << logins << " logins, " << during
              << " of them completed during the rekey, " << failures.size() << " failed\n";
    EXPECT_GT(during, 0) << "no login overlapped the rekey: the test proved nothing";

    // Every blob is under key 2, the only line of master.key; no old blob is left in the
    // database or its write-ahead log.
    EXPECT_EQ(blobs_by_key_id(), (std::map<std::string, int>{{"00000002", 20301}}));
    EXPECT_EQ(key_ids(), std::vector<std::string>{"2"});
    const std::string files = read_file(db()) + read_file(db() + "-wal");
    for (const auto& hex : old_blobs) {
        std::string bytes;
        for (std::size_t i = 8; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        EXPECT_EQ(files.find(bytes), std::string::npos) << "an old blob is still in the database files";
    }
    struct stat st {};
    ASSERT_EQ(::stat(key_file().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_FALSE(std::filesystem::exists(key_file() + ".new"));

    // otpd restarted with only the new key: every user still logs in, the pending one too.
    stop_otpd(SIGTERM);
    start_otpd();
    const auto after = log_in_each(users, kThreads);
    EXPECT_TRUE(after.empty()) << after.size() << " failed, first: " << after.front();
    EXPECT_EQ(login("pendy", {totp(pending)}).exit_code, 0);

    // The stale key file from before the rekey opens nothing any more: otpd says KS1010 (and
    // counts no failure), for the load users and the pending one alike.
    stop_otpd(SIGTERM);
    const std::string new_key_file = read_file(key_file());
    write_file(key_file(), old_key_file);
    ASSERT_EQ(::chmod(key_file().c_str(), 0600), 0);
    start_otpd();
    for (std::size_t i = 0; i < users.size(); i += 30) {
        auto& u = users[i];
        const auto r = login(u.name, {u.codes.at(u.next++)});
        EXPECT_NE(r.exit_code, 0) << u.name;
        EXPECT_THAT(r.out + r.err, HasSubstr("KS1010")) << u.name;
    }
    const auto stale = login("pendy", {totp(pending, {"--totp", "-N", "now + 30 seconds"})});
    EXPECT_THAT(stale.out + stale.err, HasSubstr("KS1010"));
    EXPECT_EQ(json_field(admin_json({"show", users[0].name}), "failures"), "0");
    stop_otpd(SIGTERM);
    write_file(key_file(), new_key_file);
    ASSERT_EQ(::chmod(key_file().c_str(), 0600), 0);
    start_otpd();
    // The code refused for KS1010 was not consumed; HOTP's look-ahead accepts the next one.
    EXPECT_EQ(login(users[0].name, {users[0].codes.at(users[0].next++)}).exit_code, 0);
}

TEST_F(RekeyTest, KeepOldKeysKeepsTheLinesAndALaterRekeyDropsThem) {
    auto users = import_hotp_users("k", 5, 5);
    const auto json = admin_json({"rekey", "--keep-old-keys"});
    EXPECT_EQ(json_field(json, "key_id"), "2");
    EXPECT_EQ(json_field(json, "resealed"), "5");
    EXPECT_THAT(json, HasSubstr("\"kept_key_ids\": [\n    1\n  ]"));
    EXPECT_THAT(json, HasSubstr("\"removed_key_ids\": []"));
    EXPECT_EQ(key_ids(), (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(blobs_by_key_id(), (std::map<std::string, int>{{"00000002", 5}}));
    EXPECT_TRUE(log_in_each(users, 2).empty());

    const auto r = admin({"rekey"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Re-sealed 5 secret(s) under master key 3"));
    EXPECT_THAT(r.out, HasSubstr("Removed key(s) 1, 2 from master.key"));
    EXPECT_EQ(key_ids(), std::vector<std::string>{"3"});
    EXPECT_EQ(blobs_by_key_id(), (std::map<std::string, int>{{"00000003", 5}}));
    EXPECT_TRUE(log_in_each(users, 2).empty());

    // Audited with the admin's uid, and logged without key material.
    const auto log = admin({"log"}).out;
    EXPECT_THAT(log, HasSubstr("rekey   by uid 0: started: key 2"));
    EXPECT_THAT(log, HasSubstr("finished: 5 secret(s) re-sealed under key 3, 0 would not open, keys removed: 1, 2"));
    const auto key_hex = read_file(key_file()).substr(2, 64);
    EXPECT_EQ(read_file(log_path).find(key_hex), std::string::npos);
    EXPECT_THAT(read_file(log_path), HasSubstr("admin rekey run 2 by uid=0 finished"));
}

TEST_F(RekeyTest, NonAdminCallerIsRefused) {
    enroll("alice");
    const auto before = read_file(key_file());
    RunOptions as_nobody;
    as_nobody.uid = kNobody;
    as_nobody.gid = kNobody;
    const auto r = admin({"rekey"}, as_nobody);
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("KS1008"));
    EXPECT_EQ(read_file(key_file()), before);
    EXPECT_EQ(blobs_by_key_id(), (std::map<std::string, int>{{"00000001", 1}}));
    EXPECT_THAT(read_file(log_path), HasSubstr("KS1008 admin request refused for uid=65534"));
}

TEST_F(RekeyTest, SigkillInTheMiddleOfALargeRekeyLosesNothingAndARerunFinishes) {
    constexpr int kUsers = 20000;
    const auto secrets = import_totp_users("big", kUsers);
    // kotp-admin rekey in the background; otpd is killed once some rows, not all, are re-sealed.
    const auto admin_log = dir + "/rekey.log";
    const pid_t rekey = spawn({program(KOTP_ADMIN_PATH), "--socket", socket_path, "rekey"}, admin_log);
    std::map<std::string, int> mix;
    const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
    while (SteadyClock::now() < deadline) {
        mix = blobs_by_key_id();
        if (mix["00000002"] >= 1000) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    stop_otpd(SIGKILL);
    wait_exit(rekey, std::chrono::seconds(10));
    mix = blobs_by_key_id();
    std::cout << "killed otpd with " << mix["00000002"] << " of " << kUsers << " secrets re-sealed\n";
    ASSERT_GT(mix["00000002"], 0);
    ASSERT_GT(mix["00000001"], 0) << "the rekey finished before the kill: nothing was interrupted";
    EXPECT_EQ(mix["00000001"] + mix["00000002"], kUsers);
    EXPECT_EQ(key_ids(), (std::vector<std::string>{"1", "2"}));

    // Restarted on the same files: users on both sides of the cut log in.
    start_otpd();
    const auto last_resealed = sql("SELECT max(t.id) FROM tokens t WHERE substr(sealed_secret, 1, 4) = X'00000002'");
    const int cut = std::stoi(last_resealed);  // token ids follow the import order, from 1
    for (const int i : {0, cut / 2, cut - 2, cut + 1, (cut + kUsers) / 2, kUsers - 1})
        EXPECT_EQ(login("big" + std::to_string(i), {totp(secrets[static_cast<std::size_t>(i)])}).exit_code, 0) << i;

    // The rerun re-seals every secret (each one opened: none is unreadable) under key 3.
    RunOptions options;
    options.timeout = std::chrono::seconds(300);
    const auto r = admin({"--json", "rekey"}, options);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(json_field(r.out, "key_id"), "3");
    EXPECT_EQ(json_field(r.out, "resealed"), std::to_string(kUsers));
    EXPECT_EQ(json_field(r.out, "unreadable"), "0");
    EXPECT_EQ(key_ids(), std::vector<std::string>{"3"});
    EXPECT_EQ(blobs_by_key_id(), (std::map<std::string, int>{{"00000003", kUsers}}));
    for (const int i : {1, cut / 2 + 1, cut + 2, kUsers - 2})
        EXPECT_EQ(login("big" + std::to_string(i), {totp(secrets[static_cast<std::size_t>(i)])}).exit_code, 0) << i;
}

}  // namespace
}  // namespace kotp::integration
