// The cluster policies with a clock the test moves: exemption and grace expiry, the rollout's
// end, and the parsing of networks and config keys.
#include "fixture.hpp"
#include "login_policy.hpp"
#include "network_match.hpp"

namespace kotp::otpd::testing {
namespace {

std::vector<Network> networks(const std::string& text) {
    std::string error;
    auto parsed = parse_network_list(text, error);
    EXPECT_TRUE(parsed) << error;
    return parsed ? *parsed : std::vector<Network>{};
}

TEST(NetworkMatch, Ipv4AndIpv6Prefixes) {
    const auto n = networks("10.0.0.0/8, 192.0.2.128/25, 2001:db8::/32, 198.51.100.7");
    EXPECT_EQ(find_network(n, "10.255.0.1")->text, "10.0.0.0/8");
    EXPECT_EQ(find_network(n, "192.0.2.200")->text, "192.0.2.128/25");
    EXPECT_EQ(find_network(n, "192.0.2.127"), nullptr);
    EXPECT_EQ(find_network(n, "2001:db8:ffff::1")->text, "2001:db8::/32");
    EXPECT_EQ(find_network(n, "2001:db9::1"), nullptr);
    EXPECT_EQ(find_network(n, "198.51.100.7")->text, "198.51.100.7");
    EXPECT_EQ(find_network(n, "198.51.100.8"), nullptr);
}

TEST(NetworkMatch, MappedAddressesZonesAndBrackets) {
    const auto n = networks("10.0.0.0/8, fe80::/10");
    EXPECT_NE(find_network(n, "::ffff:10.1.2.3"), nullptr);  // sshd on a dual-stack socket
    EXPECT_NE(find_network(n, "fe80::1%eth0"), nullptr);
    EXPECT_NE(find_network(n, "[fe80::1]"), nullptr);
}

TEST(NetworkMatch, NamesAndEmptyRhostNeverMatch) {
    const auto n = networks("0.0.0.0/0, ::/0");
    EXPECT_EQ(find_network(n, ""), nullptr);  // the console
    EXPECT_EQ(find_network(n, "login1.cluster"), nullptr);
    EXPECT_EQ(find_network(n, "10.0.0.1 "), nullptr);
    EXPECT_NE(find_network(n, "10.0.0.1"), nullptr);
}

TEST(NetworkMatch, BadNetworksAreRefusedWithAReason) {
    std::string error;
    EXPECT_FALSE(parse_network("10.1.2.3/8", error));
    EXPECT_NE(error.find("host bits"), std::string::npos);
    EXPECT_FALSE(parse_network("10.0.0.0/33", error));
    EXPECT_FALSE(parse_network("2001:db8::/129", error));
    EXPECT_FALSE(parse_network("cluster.example.org/24", error));
    EXPECT_FALSE(parse_network("10.0.0.0/", error));
    EXPECT_FALSE(parse_network_list("10.0.0.0/8,,192.0.2.0/24", error));
    EXPECT_TRUE(parse_network_list("", error));
}

TEST(PolicyConfig, KeysParseAndBadValuesNameTheLine) {
    Config c;
    EXPECT_FALSE(parse_config("exempt_networks = 10.0.0.0/8, fd00::/8\nexempt_groups = hpc-svc, backup\n"
                              "grace_period = 5m\nunenrolled = allow\nunenrolled_allow_until = 2030-01-31\n",
                              "otpd.conf", c));
    EXPECT_EQ(c.exempt_networks.size(), 2u);
    EXPECT_EQ(c.exempt_groups, (std::vector<std::string>{"hpc-svc", "backup"}));
    EXPECT_EQ(c.grace_period.count(), 300);
    EXPECT_EQ(c.unenrolled, UnenrolledPolicy::Allow);
    EXPECT_GT(c.unenrolled_allow_until, 0);
    for (const char* bad : {"exempt_networks = 10.1.0.0/8\n", "unenrolled = maybe\n", "grace_period = 2d\n",
                            "unenrolled_allow_until = 2030-02-30\n", "exempt_groups = a,,b\n"}) {
        Config d;
        const auto e = parse_config(bad, "otpd.conf", d);
        ASSERT_TRUE(e) << bad;
        EXPECT_EQ(e->message.rfind("otpd.conf:1: ", 0), 0u) << e->message;
    }
}

class PolicyCore : public OtpdCore {};

TEST_F(PolicyCore, UserExemptionEndsWithItsDate) {
    enroll("alice");
    const auto frame = admin->exempt(root, wire::AdminExempt{"alice", clock.now() + 3600, "phone lost"});
    ASSERT_EQ(static_cast<int>(frame.at(7)), static_cast<int>(wire::MessageType::Done));
    wire::AuthStep first;
    begun("alice", wire::Intent::Login, &first);
    EXPECT_EQ(first.outcome, wire::Outcome::Success);
    EXPECT_EQ(first.status, wire::Status::Exempt);
    clock.advance(3600);
    begun("alice", wire::Intent::Login, &first);
    EXPECT_EQ(first.outcome, wire::Outcome::Prompt);
}

TEST_F(PolicyCore, GraceEndsAfterThePeriod) {
    config.grace_period = std::chrono::seconds(60);
    const auto e = enroll("alice");
    ASSERT_EQ(verify("alice", code_at(e, clock.now())).outcome, wire::Outcome::Success);
    wire::AuthStep first;
    begun("alice", wire::Intent::Login, &first);
    EXPECT_EQ(first.status, wire::Status::Grace);
    clock.advance(61);
    begun("alice", wire::Intent::Login, &first);
    EXPECT_EQ(first.outcome, wire::Outcome::Prompt);
}

TEST_F(PolicyCore, RolloutEndsAtTheConfiguredTime) {
    config.unenrolled = UnenrolledPolicy::Allow;
    config.unenrolled_allow_until = clock.now() + 10;
    wire::AuthStep first;
    begun("newcomer", wire::Intent::Login, &first);
    EXPECT_EQ(first.outcome, wire::Outcome::Success);
    EXPECT_EQ(first.status, wire::Status::UnenrolledAllowed);
    // The rollout lets logins in, nothing else: kotp recovery or enroll --replace get no waiver.
    for (const auto intent : {wire::Intent::NewRecoveryCodes, wire::Intent::Replace, wire::Intent::Enroll}) {
        wire::AuthStep other;
        begun("newcomer", intent, &other);
        EXPECT_EQ(other.outcome, wire::Outcome::Failure) << static_cast<int>(intent);
    }
    clock.advance(10);
    begun("newcomer", wire::Intent::Login, &first);
    EXPECT_EQ(first.outcome, wire::Outcome::Failure);
    EXPECT_EQ(first.status, wire::Status::NotEnrolled);
    EXPECT_NE(first.text.find("ended on"), std::string::npos);
}

}  // namespace
}  // namespace kotp::otpd::testing
