// Crash durability (DESIGN section 2: no reply leaves before its state change is durable).
// Logins run at full speed from several threads while otpd is killed with SIGKILL at random
// moments and restarted on the same state, again and again. What every client saw acknowledged
// must survive each kill:
//   - a code the client saw accepted is never accepted again (zero replays across kills);
//   - a failure the client saw counted is never forgotten: the count otpd shows after the
//     restart is at least the acknowledged one, and a user acknowledged at 4 failures is
//     suspended by the next wrong code;
//   - the database passes PRAGMA integrity_check at the end.
// Only acknowledged outcomes are checked: a login cut by the kill may or may not have landed.
// HOTP tokens make codes plentiful (one per counter, any order forward within the look-ahead).
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace kotp::integration {
namespace {

constexpr int kWorkers = 3;
constexpr int kCodeUsersPerWorker = 2;  // right codes and replays of accepted ones
constexpr int kKills = 24;
constexpr unsigned kThreshold = 5;       // lockout_threshold the harness writes
constexpr std::size_t kReplayDepth = 9;  // otpd knows HOTP replays up to 10 counters back
constexpr std::size_t kCodesPerUser = 4000;

// What a login's output says. Unknown: the kill cut it, nothing can be concluded.
enum class Reply { Accepted, Replay, Wrong, Suspended, Unknown };

struct Outcome {
    Reply kind = Reply::Unknown;
    unsigned failures = 0;  // Wrong: the count otpd reported (threshold - attempts left)
};

Outcome classify(const RunResult& r) {
    if (r.exit_code == 0) return {Reply::Accepted};
    if (r.out.find("KS1004") != std::string::npos) return {Reply::Replay};
    if (r.out.find("KS1005") != std::string::npos) return {Reply::Suspended};
    if (const auto at = r.out.find("KS1003"); at != std::string::npos) {
        const auto paren = r.out.find('(', at);
        unsigned left = 0;
        if (paren != std::string::npos && std::sscanf(r.out.c_str() + paren, "(%u attempt", &left) == 1 &&
            left < kThreshold)
            return {Reply::Wrong, kThreshold - left};
    }
    return {Reply::Unknown};
}

// Lets the main thread stop the workers between two logins (to check state after a restart).
class Gate {
public:
    explicit Gate(int workers) : workers_(workers) {}
    void pass() {
        std::unique_lock<std::mutex> lock(m_);
        if (!paused_) return;
        ++parked_;
        cv_.notify_all();
        cv_.wait(lock, [&] { return !paused_; });
        --parked_;
    }
    void pause() {
        std::unique_lock<std::mutex> lock(m_);
        paused_ = true;
        cv_.wait(lock, [&] { return parked_ == active_; });
    }
    void resume() {
        const std::lock_guard<std::mutex> lock(m_);
        paused_ = false;
        cv_.notify_all();
    }
    void leave() {  // a worker that ends no longer counts
        const std::lock_guard<std::mutex> lock(m_);
        --active_;
        cv_.notify_all();
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    int workers_;
    int active_ = workers_;
    int parked_ = 0;
    bool paused_ = false;
};

struct CodeUser {
    std::string name;
    std::vector<std::string> codes;  // codes[c]: the HOTP code at counter c, from oathtool
    std::size_t next = 0;            // the next counter to send
    std::vector<std::size_t> accepted;  // counters the client saw accepted
};

struct GuessUser {
    std::string name;
    std::set<std::string> valid;  // every code otpd could accept: wrong codes avoid them
    unsigned acknowledged = 0;    // failures the client saw counted (kThreshold: suspended)
    bool unlock_pending = false;  // an unlock was sent and its answer not seen
};

struct Totals {
    std::atomic<unsigned> logins{0}, accepts{0}, replays_refused{0}, failures_seen{0}, unknown{0};
    std::atomic<unsigned> replays_accepted{0}, failures_lost{0}, unexpected{0};
    std::atomic<unsigned> checked_at_four{0};
    std::mutex m;
    std::vector<std::string> problems;
    void problem(std::string what) {
        const std::lock_guard<std::mutex> lock(m);
        if (problems.size() < 20) problems.push_back(std::move(what));
    }
};

class CrashDurabilityTest : public OtpdFixture {
protected:
    void SetUp() override {
        // The per-host limit would throttle the one source address all these guesses come from.
        extra_config = "host_failure_limit = 0\n";
        OtpdFixture::SetUp();
    }

    std::vector<std::string> hotp_codes(const std::string& secret, std::size_t count) {
        const auto r = run({"oathtool", "--hotp", "-b", secret, "-c", "0", "-w", std::to_string(count - 1)});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::vector<std::string> codes;
        std::istringstream in(r.out);
        for (std::string line; std::getline(in, line);) codes.push_back(line);
        EXPECT_EQ(codes.size(), count);
        return codes;
    }

    // A right code (new, or the same again after an unknown outcome) or a replay.
    void code_login(CodeUser& u, bool replay, std::mt19937& rng) {
        if (replay) {
            std::vector<std::size_t> recent;
            for (const auto c : u.accepted)
                if (u.next - c <= kReplayDepth) recent.push_back(c);
            if (!recent.empty()) {
                const auto c = recent[std::uniform_int_distribution<std::size_t>(0, recent.size() - 1)(rng)];
                expect_replay_refused(u, c);
                return;
            }
        }
        if (u.next >= u.codes.size()) return;
        const auto r = login(u.name, {u.codes[u.next]});
        ++totals.logins;
        switch (classify(r).kind) {
            case Reply::Accepted:
                ++totals.accepts;
                u.accepted.push_back(u.next++);
                break;
            case Reply::Replay:  // it landed in a login the kill cut: move on
                ++u.next;
                break;
            case Reply::Unknown:  // send the same code again: either it landed or it did not
                ++totals.unknown;
                break;
            default:
                ++totals.unexpected;
                totals.problem(u.name + ": a right code was refused: " + r.out);
                ++u.next;
        }
    }

    void expect_replay_refused(const CodeUser& u, std::size_t counter) {
        const auto r = login(u.name, {u.codes[counter]});
        ++totals.logins;
        const auto kind = classify(r).kind;
        if (kind == Reply::Accepted) {
            ++totals.replays_accepted;
            totals.problem(u.name + ": code of counter " + std::to_string(counter) +
                           ", accepted before, was accepted again");
        } else if (kind == Reply::Replay) {
            ++totals.replays_refused;
        } else if (kind == Reply::Unknown) {
            ++totals.unknown;
        } else {
            ++totals.unexpected;
            totals.problem(u.name + ": a replay got an unexpected answer: " + r.out);
        }
    }

    void wrong_code(GuessUser& g, std::mt19937& rng) {
        if (g.acknowledged >= kThreshold || g.unlock_pending) {
            g.unlock_pending = true;
            if (admin({"unlock", g.name}).exit_code == 0) {
                g.unlock_pending = false;
                g.acknowledged = 0;
            }
            return;
        }
        std::string code;
        do {
            code = std::to_string(std::uniform_int_distribution<int>(100000, 999999)(rng));
        } while (g.valid.count(code) != 0);
        const auto before = g.acknowledged;
        const auto r = login(g.name, {code});
        ++totals.logins;
        const auto outcome = classify(r);
        if (outcome.kind == Reply::Wrong) {
            ++totals.failures_seen;
            if (outcome.failures < before + 1) {
                ++totals.failures_lost;
                totals.problem(g.name + ": " + std::to_string(before) + " failures acknowledged, the next wrong code made " +
                               std::to_string(outcome.failures));
            }
            g.acknowledged = outcome.failures;
        } else if (outcome.kind == Reply::Suspended) {
            ++totals.failures_seen;
            g.acknowledged = kThreshold;
        } else if (outcome.kind == Reply::Unknown) {
            ++totals.unknown;
        } else {
            ++totals.unexpected;
            totals.problem(g.name + ": a wrong code got an unexpected answer: " + r.out);
        }
    }

    // After a restart, with the workers parked: what was acknowledged before the kill is there.
    void check_after_restart(const std::vector<std::vector<CodeUser>>& code_users,
                             std::vector<std::vector<GuessUser>>& guess_users, std::mt19937& rng) {
        for (const auto& list : code_users)
            for (const auto& u : list)
                if (!u.accepted.empty()) expect_replay_refused(u, u.accepted.back());
        for (auto& list : guess_users)
        for (auto& g : list) {
            if (g.unlock_pending) continue;  // the unlock may or may not have landed
            const auto info = nlohmann::json::parse(admin_json({"show", g.name}), nullptr, false);
            ASSERT_FALSE(info.is_discarded());
            const auto failures = info.value("failures", 0u);
            if (failures < g.acknowledged) {
                ++totals.failures_lost;
                totals.problem(g.name + ": " + std::to_string(g.acknowledged) +
                               " failures acknowledged, otpd shows " + std::to_string(failures) + " after a restart");
            }
            if (g.acknowledged >= kThreshold && info.value("state", "") != "suspended") {
                ++totals.failures_lost;
                totals.problem(g.name + ": suspension acknowledged, otpd shows " + info.dump());
            }
            if (g.acknowledged == kThreshold - 1) {
                // The case the issue names: at 4, the next wrong code suspends.
                ++totals.checked_at_four;
                wrong_code(g, rng);
                if (g.acknowledged != kThreshold) {
                    ++totals.failures_lost;
                    totals.problem(g.name + ": acknowledged at 4 failures, the next wrong code did not suspend");
                }
            }
        }
    }

    Totals totals;
};

TEST_F(CrashDurabilityTest, SigkillAtRandomMomentsLosesNothingAcknowledged) {
    const auto seed = std::random_device{}();
    std::cout << "seed " << seed << "\n";
    std::mt19937 rng(seed);
    std::vector<std::vector<CodeUser>> code_users(kWorkers);
    std::vector<std::vector<GuessUser>> guess_users(kWorkers);
    for (int w = 0; w < kWorkers; ++w) {
        for (int i = 0; i < kCodeUsersPerWorker; ++i) {
            CodeUser u;
            u.name = "code" + std::to_string(w) + "x" + std::to_string(i);
            u.codes = hotp_codes(enroll(u.name, {"--type", "hotp"}), kCodesPerUser);
            code_users[static_cast<std::size_t>(w)].push_back(std::move(u));
        }
        GuessUser g;
        g.name = "guess" + std::to_string(w);
        const auto codes = hotp_codes(enroll(g.name, {"--type", "hotp"}), 40);
        g.valid.insert(codes.begin(), codes.end());
        guess_users[static_cast<std::size_t>(w)].push_back(std::move(g));
    }
    ASSERT_FALSE(HasFailure());

    Gate gate(kWorkers);
    std::atomic<bool> stop{false};
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
        workers.emplace_back([&, w, worker_seed = rng()] {
            std::mt19937 wrng(worker_seed);
            auto& mine = code_users[static_cast<std::size_t>(w)];
            auto& guess = guess_users[static_cast<std::size_t>(w)].front();
            while (!stop) {
                gate.pass();
                const auto pick = std::uniform_int_distribution<int>(0, 99)(wrng);
                auto& u = mine[static_cast<std::size_t>(pick) % mine.size()];
                if (pick < 55) code_login(u, false, wrng);
                else if (pick < 80) code_login(u, true, wrng);
                else wrong_code(guess, wrng);
            }
            gate.leave();
        });
    }

    const auto started = std::chrono::steady_clock::now();
    int kills = 0;
    for (; kills < kKills && !HasFatalFailure(); ++kills) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 900)(rng)));
        stop_otpd(SIGKILL);
        start_otpd();
        if (HasFatalFailure()) break;
        gate.pause();  // every worker parked between two logins: their users are ours meanwhile
        check_after_restart(code_users, guess_users, rng);
        gate.resume();
    }
    stop = true;
    for (auto& t : workers) t.join();
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - started;

    // The end: every code seen accepted by its last client is refused by a fresh otpd.
    stop_otpd(SIGKILL);
    ++kills;
    start_otpd();
    for (auto& list : code_users)
        for (auto& u : list)
            for (std::size_t i = u.accepted.size() > 3 ? u.accepted.size() - 3 : 0; i < u.accepted.size(); ++i)
                expect_replay_refused(u, u.accepted[i]);
    stop_otpd(SIGTERM);
    const auto integrity = run({"sqlite3", state_dir + "/kotp.db", "PRAGMA integrity_check;"});

    std::cout << "kills " << kills << ", logins " << totals.logins << ", accepted " << totals.accepts
              << ", replays refused " << totals.replays_refused << ", failures counted " << totals.failures_seen
              << ", cut by a kill " << totals.unknown << ", checked at 4 failures " << totals.checked_at_four
              << ", in " << seconds.count() << " s\n";
    for (const auto& p : totals.problems) ADD_FAILURE() << p;
    EXPECT_GE(kills, 20);
    EXPECT_EQ(totals.replays_accepted, 0u);
    EXPECT_EQ(totals.failures_lost, 0u);
    EXPECT_EQ(totals.unexpected, 0u);
    // The test proves something only if the load was real.
    EXPECT_GE(totals.accepts, 100u);
    EXPECT_GE(totals.replays_refused, 50u);
    EXPECT_GE(totals.failures_seen, 50u);
    EXPECT_EQ(integrity.exit_code, 0) << integrity.err;
    EXPECT_EQ(integrity.out, "ok\n");
}

}  // namespace
}  // namespace kotp::integration
