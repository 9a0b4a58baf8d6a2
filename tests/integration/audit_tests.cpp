// kotp-admin log and stats against a real otpd: logins through the real libpam and pam_kotp.so
// (accepted, wrong code, replay, an exempt network), an unlock by the admin; then the audit log
// in JSON with each message ID, reason and the admin's uid, filters, and the Prometheus text
// format checked line by line against the format's rules.
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "harness.hpp"

namespace kotp::integration {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class AuditLogTest : public OtpdFixture {
protected:
    RunResult login_from(const std::string& user, const std::string& rhost, const std::vector<std::string>& answers) {
        std::vector<std::string> argv = {program(PAM_LOGIN_PATH), "--confdir", pam_dir, "--service", "kotp-test",
                                         "--user", user, "--rhost", rhost, "--tty", "ssh"};
        for (const auto& a : answers) argv.insert(argv.end(), {"--answer", a});
        return run(argv);
    }
    json log_json(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args = {"log"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto text = admin_json(args);
        return json::parse(text);
    }
    // The scenario of the issue: ok, wrong code, replay, exempt network, unlock.
    void run_scenario() {
        restart_with("exempt_networks = 10.0.0.0/8\n");
        const auto secret = enroll("alice");
        const auto code = totp(secret);
        ASSERT_EQ(login_from("alice", "192.0.2.10", {code}).exit_code, 0);
        EXPECT_EQ(login_from("alice", "192.0.2.10", {code}).exit_code, 1);  // replay: KS1004
        std::string wrong = code;
        wrong[0] = static_cast<char>('0' + (code[0] - '0' + 5) % 10);
        EXPECT_EQ(login_from("alice", "192.0.2.10", {wrong}).exit_code, 1);  // KS1003
        EXPECT_EQ(login_from("alice", "10.1.2.3", {}).exit_code, 0);          // KS0001
        enroll("bob");
        ASSERT_EQ(admin({"unlock", "alice"}).exit_code, 0);
    }
};

TEST_F(AuditLogTest, LogJsonShowsEachDecisionWithItsMessageIdReasonAndTheAdminsUid) {
    run_scenario();
    const auto doc = log_json();
    ASSERT_TRUE(doc.contains("entries")) << doc;
    EXPECT_FALSE(doc["more"].get<bool>());
    std::vector<std::string> results;
    std::map<std::string, json> by_result;
    for (const auto& e : doc["entries"]) {
        results.push_back(e["result"].get<std::string>());
        by_result[e["result"].get<std::string>()] = e;
    }
    // Oldest first.
    EXPECT_THAT(results, ::testing::ElementsAre("enroll", "KS0000", "KS1004", "KS1003", "KS0001", "enroll", "unlock"));
    for (std::size_t i = 1; i < doc["entries"].size(); ++i)
        EXPECT_GT(doc["entries"][i]["id"].get<std::int64_t>(), doc["entries"][i - 1]["id"].get<std::int64_t>());

    const auto ok = by_result["KS0000"];
    EXPECT_EQ(ok["user"], "alice");
    EXPECT_EQ(ok["service"], "kotp-test");
    EXPECT_EQ(ok["rhost"], "192.0.2.10");
    EXPECT_EQ(ok["tty"], "ssh");
    EXPECT_GT(ok["token_id"].get<std::int64_t>(), 0);
    EXPECT_TRUE(std::regex_match(ok["time"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
        << ok["time"];
    EXPECT_THAT(by_result["KS1003"]["detail"].get<std::string>(), HasSubstr("failure 1 of 5"));
    EXPECT_FALSE(by_result["KS1004"]["detail"].get<std::string>().empty());
    EXPECT_THAT(by_result["KS0001"]["detail"].get<std::string>(), HasSubstr("exempt network 10.0.0.0/8"));
    EXPECT_EQ(by_result["KS0001"]["rhost"], "10.1.2.3");
    const auto unlock = by_result["unlock"];
    EXPECT_EQ(unlock["service"], "kotp-admin");
    EXPECT_THAT(unlock["detail"].get<std::string>(), HasSubstr("by uid " + std::to_string(::getuid())));

    // The same codes in otpd's log lines.
    const auto lines = read_file(log_path);
    for (const char* id : {"KS0000 login accepted", "KS1004 login refused", "KS1003 login refused", "KS0001 login accepted"})
        EXPECT_THAT(lines, HasSubstr(id));
    EXPECT_THAT(lines, HasSubstr("admin unlock user=\"alice\" by uid=" + std::to_string(::getuid())));

    // The human table: one line per entry and the header.
    const auto table = admin({"log"});
    EXPECT_EQ(table.exit_code, 0) << table.err;
    EXPECT_THAT(table.out, HasSubstr("TIME"));
    EXPECT_THAT(table.out, HasSubstr("KS1003"));
    EXPECT_EQ(std::count(table.out.begin(), table.out.end(), '\n'), 8);
}

TEST_F(AuditLogTest, LogFiltersByUserSinceAndLimitAndPagesPastOneReply) {
    run_scenario();
    const auto alice = log_json({"alice", "--since", "1h"});
    ASSERT_EQ(alice["entries"].size(), 6u) << alice;  // bob's enrolment left out
    for (const auto& e : alice["entries"]) EXPECT_EQ(e["user"], "alice");
    EXPECT_EQ(log_json({"bob"})["entries"].size(), 1u);
    EXPECT_EQ(log_json({"carol"})["entries"].size(), 0u);

    const auto last_two = log_json({"--limit", "2"});
    ASSERT_EQ(last_two["entries"].size(), 2u);
    EXPECT_TRUE(last_two["more"].get<bool>());
    EXPECT_EQ(last_two["entries"][0]["result"], "enroll");
    EXPECT_EQ(last_two["entries"][1]["result"], "unlock");

    // More rows than one AuditPage holds: the CLI pages back by id.
    for (int i = 0; i < 40; ++i) ASSERT_EQ(admin({"unlock", "alice"}).exit_code, 0);
    const auto many = log_json({"--limit", "45"});
    EXPECT_EQ(many["entries"].size(), 45u);
    EXPECT_TRUE(many["more"].get<bool>());
    EXPECT_EQ(log_json({"--limit", "1000"})["entries"].size(), 47u);

    EXPECT_EQ(admin({"log", "--since", "soon"}).exit_code, 2);
    EXPECT_EQ(admin({"log", "--limit", "0"}).exit_code, 2);
}

TEST_F(AuditLogTest, StatsPrometheusFollowsTheTextFormatWithTheRightNumbers) {
    run_scenario();
    ASSERT_EQ(admin({"suspend", "bob", "--reason", "left"}).exit_code, 0);
    ASSERT_EQ(admin({"exempt", "svc", "--until", "@" + std::to_string(std::time(nullptr) + 3600)}).exit_code, 0);

    const auto r = admin({"stats", "--prometheus"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
    const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
    const std::regex sample(
        R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (-?[0-9]+(\.[0-9]+)?))");
    std::map<std::string, std::string> values;  // "name{labels}" -> value
    std::set<std::string> typed;
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
        std::smatch m;
        if (std::regex_match(line, m, help)) continue;
        if (std::regex_match(line, m, type)) {
            EXPECT_TRUE(typed.insert(m[1]).second) << "TYPE twice: " << line;
            continue;
        }
        ASSERT_TRUE(std::regex_match(line, m, sample)) << "not a sample line: " << line;
        EXPECT_TRUE(typed.count(m[1])) << "sample before its TYPE: " << line;
        values[line.substr(0, line.rfind(' '))] = m[7];
    }
    EXPECT_EQ(r.out.back(), '\n');
    EXPECT_EQ(values["kotp_users{state=\"active\"}"], "1");
    EXPECT_EQ(values["kotp_users{state=\"suspended\"}"], "1");
    EXPECT_EQ(values["kotp_users_exempt"], "1");
    EXPECT_EQ(values["kotp_users_without_token"], "0");
    EXPECT_EQ(values["kotp_logins_window_hours"], "24");
    EXPECT_EQ(values["kotp_logins_last_hours{result=\"ok\"}"], "1");
    EXPECT_EQ(values["kotp_logins_last_hours{result=\"waived\"}"], "1");
    EXPECT_EQ(values["kotp_logins_last_hours{result=\"failed\"}"], "2");

    const auto doc = json::parse(admin_json({"stats", "--hours", "2"}));
    EXPECT_EQ(doc["users"]["total"], 2);
    EXPECT_EQ(doc["users"]["suspended"], 1);
    EXPECT_EQ(doc["users"]["exempt"], 1);
    EXPECT_EQ(doc["window_hours"], 2);
    ASSERT_EQ(doc["hours"].size(), 2u);
    EXPECT_EQ(doc["logins"]["ok"], 1);
    EXPECT_EQ(doc["logins"]["waived"], 1);
    EXPECT_EQ(doc["logins"]["failed"], 2);

    const auto human = admin({"stats"});
    EXPECT_EQ(human.exit_code, 0);
    EXPECT_THAT(human.out, HasSubstr("1 with a code, 1 without (exempt, grace, rollout), 2 refused"));
    EXPECT_EQ(admin({"--json", "stats", "--prometheus"}).exit_code, 2);
    EXPECT_EQ(admin({"stats", "--hours", "169"}).exit_code, 2);
}

}  // namespace
}  // namespace kotp::integration
