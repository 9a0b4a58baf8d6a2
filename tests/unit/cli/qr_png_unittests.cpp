#include <gtest/gtest.h>
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_support.hpp"
#include "qr_png.hpp"
#include "qr_terminal.hpp"

namespace {

using kotp::write_qr_png;
using kotp::test::read_file;
using kotp::test::TempDir;

const std::string kUri =
    "otpauth://totp/kotp:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=kotp&algorithm=SHA1&"
    "digits=6&period=30";

struct GreyImage {
    std::uint32_t side = 0;
    std::vector<std::uint8_t> pixels;
    std::uint8_t at(std::uint32_t x, std::uint32_t y) const {
        return pixels[std::size_t{y} * side + x];
    }
};

GreyImage read_png(const std::string& path) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    GreyImage out;
    if (png_image_begin_read_from_file(&image, path.c_str()) == 0) return out;
    image.format = PNG_FORMAT_GRAY;
    out.pixels.resize(PNG_IMAGE_SIZE(image));
    if (image.width != image.height ||
        png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr) == 0) {
        png_image_free(&image);
        out.pixels.clear();
        return out;
    }
    out.side = image.width;
    return out;
}

std::string zbar_decode(const std::string& zbarimg, const std::string& path) {
    const auto result = kotp::test::run({zbarimg, "--quiet", "--raw", path});
    if (result.exit_code != 0) return "zbarimg failed: " + result.err;
    std::string text = result.out;
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
}

TEST(WriteQrPng, WritesAPngReadableOnlyByItsOwner) {
    TempDir dir;
    const std::string path = dir.file("alice.png");
    const mode_t old_mask = ::umask(0);  // the mode must not depend on a lax umask
    std::string error;
    const bool ok = write_qr_png(path, kUri, error);
    ::umask(old_mask);
    ASSERT_TRUE(ok) << error;
    EXPECT_TRUE(error.empty());

    const std::string bytes = read_file(path);
    ASSERT_GE(bytes.size(), 8U);
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));

    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0600U);
}

TEST(WriteQrPng, EightPixelsPerModuleFourModuleQuietZoneBlackOnWhite) {
    TempDir dir;
    const std::string path = dir.file("alice.png");
    std::string error;
    ASSERT_TRUE(write_qr_png(path, kUri, error)) << error;
    const GreyImage image = read_png(path);
    ASSERT_GT(image.side, 0U);
    ASSERT_EQ(image.side % 8, 0U);
    const std::uint32_t modules = image.side / 8;
    EXPECT_EQ((modules - 8 - 21) % 4, 0U) << "a symbol of 21 + 4k modules plus 2 x 4 quiet";

    for (std::uint32_t i = 0; i < image.side; ++i) {
        for (std::uint32_t q = 0; q < 32; ++q) {
            ASSERT_EQ(image.at(i, q), 255) << "top quiet zone";
            ASSERT_EQ(image.at(q, i), 255) << "left quiet zone";
            ASSERT_EQ(image.at(i, image.side - 1 - q), 255) << "bottom quiet zone";
            ASSERT_EQ(image.at(image.side - 1 - q, i), 255) << "right quiet zone";
        }
    }
    // Top-left finder pattern: dark ring at module 0, light ring at module 1, dark core at 2..4,
    // each module a full 8x8 square.
    auto module = [&](std::uint32_t mx, std::uint32_t my) {
        const std::uint32_t x0 = 32 + mx * 8;
        const std::uint32_t y0 = 32 + my * 8;
        const std::uint8_t value = image.at(x0, y0);
        for (std::uint32_t dy = 0; dy < 8; ++dy)
            for (std::uint32_t dx = 0; dx < 8; ++dx)
                if (image.at(x0 + dx, y0 + dy) != value) return -1;
        return static_cast<int>(value);
    };
    EXPECT_EQ(module(0, 0), 0);
    EXPECT_EQ(module(6, 0), 0);
    EXPECT_EQ(module(1, 1), 255);
    EXPECT_EQ(module(3, 3), 0);
    EXPECT_EQ(module(7, 7), 255) << "separator";
}

TEST(WriteQrPng, ExistingFileIsTruncatedAndMadePrivate) {
    TempDir dir;
    const std::string path = dir.file("old.png");
    std::ofstream(path) << std::string(100000, 'x');
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    std::string error;
    ASSERT_TRUE(write_qr_png(path, kUri, error)) << error;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
    EXPECT_LT(st.st_size, 100000);
    EXPECT_EQ(read_file(path).substr(1, 3), "PNG");
}

TEST(WriteQrPng, RefusesAPathWhoseParentDoesNotExist) {
    TempDir dir;
    const std::string path = dir.file("missing/alice.png");
    std::string error;
    EXPECT_FALSE(write_qr_png(path, kUri, error));
    EXPECT_NE(error.find(path), std::string::npos) << error;
    EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
}

TEST(WriteQrPng, DoesNotFollowASymbolicLink) {
    TempDir dir;
    const std::string target = dir.file("target");
    const std::string link = dir.file("link.png");
    std::ofstream(target) << "keep me";
    ASSERT_EQ(::chmod(target.c_str(), 0644), 0);
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    std::string error;
    EXPECT_FALSE(write_qr_png(link, kUri, error));
    EXPECT_NE(error.find("symbolic link"), std::string::npos) << error;
    EXPECT_EQ(read_file(target), "keep me");
    struct stat st {};
    ASSERT_EQ(::stat(target.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644U);
}

TEST(WriteQrPng, RefusesADanglingSymbolicLink) {
    TempDir dir;
    const std::string target = dir.file("would-be-created");
    const std::string link = dir.file("link.png");
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
    std::string error;
    EXPECT_FALSE(write_qr_png(link, kUri, error));
    EXPECT_NE(::access(target.c_str(), F_OK), 0) << "nothing created through the link";
}

TEST(WriteQrPng, RefusesWhatIsNotARegularFile) {
    TempDir dir;
    const std::string fifo = dir.file("fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    std::string error;
    EXPECT_FALSE(write_qr_png(fifo, kUri, error)) << "must not block on a FIFO without a reader";
    EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
    EXPECT_FALSE(write_qr_png(dir.path(), kUri, error));
}

TEST(WriteQrPng, RefusesEmptyText) {
    TempDir dir;
    std::string error;
    EXPECT_FALSE(write_qr_png(dir.file("empty.png"), "", error));
    EXPECT_FALSE(error.empty());
}

TEST(WriteQrPng, ZbarimgDecodesTheUri) {
    const std::string zbarimg = kotp::test::find_zbarimg();
    if (zbarimg.empty()) GTEST_SKIP() << "zbarimg not installed (Debian package zbar-tools)";
    TempDir dir;
    const std::string path = dir.file("alice.png");
    std::string error;
    ASSERT_TRUE(write_qr_png(path, kUri, error)) << error;
    EXPECT_EQ(zbar_decode(zbarimg, path), kUri);
}

// Redraws the terminal rendering as an image, light blocks as white, and decodes it: what a
// phone sees on a dark terminal.
TEST(RenderQrTerminal, ZbarimgDecodesTheTerminalRendering) {
    const std::string zbarimg = kotp::test::find_zbarimg();
    if (zbarimg.empty()) GTEST_SKIP() << "zbarimg not installed (Debian package zbar-tools)";
    const std::string text = kotp::render_qr_terminal(kUri);
    ASSERT_FALSE(text.empty());

    std::vector<std::vector<bool>> light;  // rows of modules
    std::vector<bool> top;
    std::vector<bool> bottom;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == '\n') {
            light.push_back(top);
            light.push_back(bottom);
            top.clear();
            bottom.clear();
            ++i;
        } else if (text[i] == ' ') {
            top.push_back(false);
            bottom.push_back(false);
            ++i;
        } else {
            const std::string c = text.substr(i, 3);
            top.push_back(c == "\u2588" || c == "\u2580");
            bottom.push_back(c == "\u2588" || c == "\u2584");
            i += 3;
        }
    }
    constexpr std::uint32_t kScale = 8;
    const auto width = static_cast<std::uint32_t>(light.front().size()) * kScale;
    const auto height = static_cast<std::uint32_t>(light.size()) * kScale;
    std::vector<std::uint8_t> pixels(std::size_t{width} * height);
    for (std::uint32_t y = 0; y < height; ++y)
        for (std::uint32_t x = 0; x < width; ++x)
            pixels[std::size_t{y} * width + x] = light[y / kScale][x / kScale] ? 255 : 0;

    TempDir dir;
    const std::string path = dir.file("terminal.png");
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_GRAY;
    ASSERT_NE(png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr), 0);
    EXPECT_EQ(zbar_decode(zbarimg, path), kUri);
}

}  // namespace
