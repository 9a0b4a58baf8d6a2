#include "uid_map.hpp"

#include <gtest/gtest.h>

#include "process.hpp"

namespace kotp::otpd {
namespace {

TEST(UidMap, TheInitialNamespaceIsTheIdentity) {
    const auto s = summarize_uid_map("         0          0 4294967295\n");
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->identity);
    EXPECT_EQ(s->mapped, 4294967295ULL);
}

TEST(UidMap, PrivateUsersMapsRootAndTheServiceUserOnly) {
    // What systemd writes for PrivateUsers=yes with User=_otpd (uid 998).
    const auto s = summarize_uid_map("0 0 1\n998 998 1\n");
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->identity);
    EXPECT_EQ(s->mapped, 2u);
}

TEST(UidMap, AShiftedFullRangeIsNotTheIdentity) {
    const auto s = summarize_uid_map("0 100000 65536\n");
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->identity);
}

TEST(UidMap, GarbageIsNotAMapping) {
    EXPECT_FALSE(summarize_uid_map(""));
    EXPECT_FALSE(summarize_uid_map("0 0\n"));
    EXPECT_FALSE(summarize_uid_map("0 0 1 extra\n"));
    EXPECT_FALSE(summarize_uid_map("a b c\n"));
    EXPECT_FALSE(summarize_uid_map("0 0 99999999999\n"));
}

TEST(UidMap, WarningNamesTheFixAndIsSilentForTheIdentity) {
    test::TempDir dir;
    const auto partial = dir.path() + "/partial";
    const auto full = dir.path() + "/full";
    test::write_file(partial, "0 0 1\n");
    test::write_file(full, "0 0 4294967295\n");
    EXPECT_NE(uid_map_warning(partial).find("PrivateUsers="), std::string::npos);
    EXPECT_EQ(uid_map_warning(full), "");
    EXPECT_EQ(uid_map_warning(dir.path() + "/missing"), "");
}

}  // namespace
}  // namespace kotp::otpd
