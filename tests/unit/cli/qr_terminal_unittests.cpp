#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "qr_terminal.hpp"

namespace {

using kotp::render_qr_terminal;

const std::string kUri =
    "otpauth://totp/kotp:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=kotp&algorithm=SHA1&"
    "digits=6&period=30";

const std::string kFull = "\u2588";   // two light modules
const std::string kUpper = "\u2580";  // light above, dark below
const std::string kLower = "\u2584";  // dark above, light below

// Splits the rendering into lines of characters (each a UTF-8 sequence).
std::vector<std::vector<std::string>> cells(const std::string& text) {
    std::vector<std::vector<std::string>> lines(1);
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == '\n') {
            lines.emplace_back();
            ++i;
            continue;
        }
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        lines.back().push_back(text.substr(i, length));
        i += length;
    }
    if (lines.back().empty()) lines.pop_back();  // after the final '\n'
    return lines;
}

bool all_full(const std::vector<std::string>& line) {
    for (const std::string& c : line)
        if (c != kFull) return false;
    return true;
}

TEST(RenderQrTerminal, TypicalUriGivesASquareBlock) {
    ASSERT_GT(kUri.size(), 100U);
    const std::string qr = render_qr_terminal(kUri);
    ASSERT_FALSE(qr.empty());
    ASSERT_EQ(qr.back(), '\n');
    const auto lines = cells(qr);
    const std::size_t columns = lines.front().size();
    for (const auto& line : lines) EXPECT_EQ(line.size(), columns);
    // A symbol is 21 + 4k modules wide, plus 2 quiet modules on each side: an odd number of
    // rows, two per line, the last line half quiet zone and half padding.
    EXPECT_EQ((columns - 4 - 21) % 4, 0U);
    EXPECT_EQ(lines.size() * 2, columns + 1);
    EXPECT_LE(columns, 80U) << "a typical URI must fit an 80-column terminal";
}

TEST(RenderQrTerminal, QuietZoneOnEverySide) {
    const auto lines = cells(render_qr_terminal(kUri));
    ASSERT_GT(lines.size(), 4U);
    EXPECT_TRUE(all_full(lines.front())) << "two quiet rows on top";
    EXPECT_TRUE(all_full(lines.back())) << "the last quiet row";
    // The line above the last holds the last data row over a quiet row: its lower halves are lit.
    for (const std::string& c : lines[lines.size() - 2]) EXPECT_TRUE(c == kFull || c == kLower);
    for (const auto& line : lines) {
        const std::size_t n = line.size();
        EXPECT_EQ(line[0], kFull);
        EXPECT_EQ(line[1], kFull);
        EXPECT_EQ(line[n - 2], kFull);
        EXPECT_EQ(line[n - 1], kFull);
    }
}

TEST(RenderQrTerminal, DarkModulesAreBlankSoItScansOnADarkTerminal) {
    // Rows 0 and 1 of the top-left finder pattern: 7 dark modules over 1 dark, 5 light, 1 dark,
    // then the light separator.
    const auto lines = cells(render_qr_terminal(kUri));
    ASSERT_GT(lines.size(), 2U);
    const std::vector<std::string> expected = {kFull,  kFull,  " ",    kLower, kLower,
                                               kLower, kLower, kLower, " ",    kFull};
    const std::vector<std::string> start(lines[1].begin(), lines[1].begin() + 10);
    EXPECT_EQ(start, expected);
}

TEST(RenderQrTerminal, SameInputSameOutput) {
    EXPECT_EQ(render_qr_terminal(kUri), render_qr_terminal(kUri));
    EXPECT_NE(render_qr_terminal(kUri), render_qr_terminal(kUri + "x"));
}

TEST(RenderQrTerminal, UsesOnlyBlocksAndSpaces) {
    const auto lines = cells(render_qr_terminal("hello"));
    ASSERT_FALSE(lines.empty());
    for (const auto& line : lines)
        for (const std::string& c : line)
            EXPECT_TRUE(c == kFull || c == kUpper || c == kLower || c == " ") << c;
}

TEST(RenderQrTerminal, EmptyForWhatCannotBeEncoded) {
    EXPECT_EQ(render_qr_terminal(""), "");
    EXPECT_EQ(render_qr_terminal(std::string("a\0b", 3)), "");
    EXPECT_EQ(render_qr_terminal(std::string(8000, 'x')), "") << "over the capacity of version 40";
}

}  // namespace
