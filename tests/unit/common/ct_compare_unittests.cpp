#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "kotp/ct_compare.hpp"

namespace {

using kotp::ct_equal;

TEST(CtEqual, EqualStrings) {
    EXPECT_TRUE(ct_equal("123456", "123456"));
    EXPECT_TRUE(ct_equal("a", "a"));
}

TEST(CtEqual, DifferentContents) {
    EXPECT_FALSE(ct_equal("123456", "123457"));  // last byte
    EXPECT_FALSE(ct_equal("023456", "123456"));  // first byte
}

TEST(CtEqual, DifferentLengths) {
    EXPECT_FALSE(ct_equal("123456", "1234567"));
    EXPECT_FALSE(ct_equal("1234567", "123456"));
    // A prefix must not match: a truncated code is a wrong code.
    EXPECT_FALSE(ct_equal("12345", "123456"));
}

TEST(CtEqual, Empty) {
    EXPECT_TRUE(ct_equal("", ""));
    EXPECT_TRUE(ct_equal(std::string_view{}, std::string_view{}));
    EXPECT_FALSE(ct_equal("", "0"));
    EXPECT_FALSE(ct_equal("0", std::string_view{}));
}

TEST(CtEqual, ComparesPastNulBytes) {
    const std::string a(
        "12\0"
        "456",
        6);
    const std::string b(
        "12\0"
        "457",
        6);
    EXPECT_TRUE(ct_equal(a, a));
    EXPECT_FALSE(ct_equal(a, b));
}

}  // namespace
