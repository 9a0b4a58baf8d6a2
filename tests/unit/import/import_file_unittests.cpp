// read_import_file (files, pipes, limits, I/O errors) and the small helpers of the interface.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "import_formats.hpp"
#include "import_test_helpers.hpp"
#include "process.hpp"

namespace {

using namespace kotp::import_test;
using kotp::admin::ImportError;
using kotp::admin::ImportFormat;
using kotp::admin::kMaxImportFileSize;
using kotp::admin::parse_import_format;
using kotp::admin::read_import_file;

constexpr const char* kKey20Base32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

TEST(ImportFormatName, ParsesTheThreeNames) {
    EXPECT_EQ(parse_import_format("csv"), ImportFormat::Csv);
    EXPECT_EQ(parse_import_format("google-authenticator"), ImportFormat::GoogleAuthenticator);
    EXPECT_EQ(parse_import_format("oath"), ImportFormat::Oath);
    EXPECT_EQ(parse_import_format("CSV"), std::nullopt);
    EXPECT_EQ(parse_import_format(""), std::nullopt);
    EXPECT_EQ(parse_import_format("google_authenticator"), std::nullopt);
    for (const auto f : {ImportFormat::Csv, ImportFormat::GoogleAuthenticator, ImportFormat::Oath})
        EXPECT_EQ(parse_import_format(kotp::admin::import_format_name(f)), f);
}

TEST(ImportError, PrintsAsFileLineMessage) {
    EXPECT_EQ(kotp::admin::to_string(ImportError{"a.csv:3", "missing secret"}), "a.csv:3: missing secret");
}

TEST(ImportFile, ReadsEachFormat) {
    kotp::test::TempDir dir;
    kotp::test::write_file(dir.file("u.csv"), std::string("alice,") + kKey20Base32 + "\nbad\n");
    kotp::test::write_file(dir.file("users.oath"), "HOTP/T30/8 bob - 3132333435363738393031323334353637383930\n");
    kotp::test::write_file(dir.file("carol.google_authenticator"), std::string(kKey20Base32) + "\n\" TOTP_AUTH\n");

    const auto csv = read_import_file(ImportFormat::Csv, dir.file("u.csv"));
    EXPECT_EQ(users(csv), std::vector<std::string>{"alice"});
    EXPECT_EQ(csv.entries[0].origin, dir.file("u.csv") + ":1");
    EXPECT_EQ(error_lines(csv), std::vector<std::string>{dir.file("u.csv") +
                                                         ":2: missing secret (expected "
                                                         "user,secret[,type,algorithm,digits,period])"});

    const auto oath = read_import_file(ImportFormat::Oath, dir.file("users.oath"));
    EXPECT_TRUE(oath.errors.empty());
    ASSERT_EQ(users(oath), std::vector<std::string>{"bob"});
    EXPECT_EQ(oath.entries[0].digits, 8U);

    const auto ga = read_import_file(ImportFormat::GoogleAuthenticator, dir.file("carol.google_authenticator"));
    EXPECT_TRUE(ga.errors.empty());
    EXPECT_EQ(users(ga), std::vector<std::string>{"carol"});
}

TEST(ImportFile, IoErrorsNameTheFile) {
    kotp::test::TempDir dir;
    const std::string missing = dir.file("missing.csv");
    EXPECT_EQ(error_lines(read_import_file(ImportFormat::Csv, missing)),
              std::vector<std::string>{missing + ": cannot open: No such file or directory"});
    EXPECT_EQ(error_lines(read_import_file(ImportFormat::Oath, dir.path())),
              std::vector<std::string>{dir.path() + ": is a directory"});
}

TEST(ImportFile, RefusesHugeFilesBeforeReading) {
    kotp::test::TempDir dir;
    const std::string big = dir.file("big.csv");
    // Sparse: no disk space used, and nothing is read.
    const int fd = ::open(big.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(kMaxImportFileSize) + 1), 0);
    ::close(fd);
    const auto r = read_import_file(ImportFormat::Csv, big);
    EXPECT_TRUE(r.entries.empty());
    EXPECT_EQ(error_lines(r), std::vector<std::string>{big + ": is 268435457 bytes; the limit is 256 MiB"});
}

TEST(ImportFile, ReadsPipes) {
    // A pipe has no size up front (e.g. kotp-admin import --format csv /dev/stdin).
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::string text;
    for (int i = 0; i < 500; ++i) text += "user" + std::to_string(i) + "," + kKey20Base32 + "\n";
    ASSERT_LT(text.size(), 65536U);  // fits in the pipe buffer: no writer thread needed
    ASSERT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fds[1]);
    const std::string path = "/dev/fd/" + std::to_string(fds[0]);
    const auto r = read_import_file(ImportFormat::Csv, path);
    ::close(fds[0]);
    EXPECT_TRUE(r.errors.empty()) << ::testing::PrintToString(error_lines(r));
    ASSERT_EQ(r.entries.size(), 500U);
    EXPECT_EQ(r.entries[499].origin, path + ":500");
}

TEST(ImportEntry, WipeSecrets) {
    auto r = kotp::admin::parse_google_authenticator(std::string(kKey20Base32) + "\n12345678\n", "g", "alice");
    ASSERT_EQ(r.entries.size(), 1U);
    EXPECT_FALSE(r.entries[0].secret.empty());
    kotp::admin::wipe_secrets(r);
    EXPECT_TRUE(r.entries[0].secret.empty());
    EXPECT_TRUE(r.entries[0].recovery_codes.empty());
    EXPECT_EQ(r.entries[0].user, "alice");
}

}  // namespace
