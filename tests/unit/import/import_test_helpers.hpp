// Shared by the import format tests: codes from the project's own OTP functions for a parsed
// entry, and the same codes from oathtool given the secret exactly as the file wrote it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "import_formats.hpp"
#include "kotp/otp.hpp"
#include "process.hpp"

namespace kotp::import_test {

using admin::ImportEntry;
using admin::ImportResult;

// A fixed instant, so that a failure can be replayed: 2026-01-01 00:00:00 UTC.
inline constexpr std::int64_t kFixedTime = 1767225600;
inline constexpr const char* kFixedTimeText = "2026-01-01 00:00:00 UTC";

inline std::string without_newlines(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

// oathtool ARGS...; its output line, or "" with a test failure.
inline std::string oathtool(std::vector<std::string> args) {
    args.insert(args.begin(), "oathtool");
    const auto r = test::run(args);
    EXPECT_EQ(r.exit_code, 0) << "oathtool failed: " << r.err;
    return without_newlines(r.out);
}

// The entry's code from kotp::otp: TOTP at kFixedTime, HOTP at counter + offset.
inline std::string kotp_code(const ImportEntry& e, std::uint64_t offset = 0) {
    const int digits = static_cast<int>(e.digits);
    if (e.type == wire::TokenType::Totp) return otp::totp(e.secret, kFixedTime, e.period, e.algorithm, digits);
    return otp::hotp(e.secret, e.counter + offset, e.algorithm, digits);
}

inline const char* oathtool_mode(wire::Algorithm a) {
    switch (a) {
        case wire::Algorithm::Sha1:
            return "--totp=SHA1";
        case wire::Algorithm::Sha256:
            return "--totp=SHA256";
        case wire::Algorithm::Sha512:
            return "--totp=SHA512";
    }
    return "--totp";
}

// oathtool's code for the token the entry describes, from `secret_text` as written in the file
// (Base32 with base32 = true, hex otherwise): its own decoding, not ours.
inline std::string oathtool_code(const ImportEntry& e, const std::string& secret_text, bool base32,
                                 std::uint64_t offset = 0) {
    std::vector<std::string> args;
    if (e.type == wire::TokenType::Totp) {
        args = {oathtool_mode(e.algorithm), "-s", std::to_string(e.period) + "s", "-N", kFixedTimeText};
    } else {
        args = {"--hotp", "-c", std::to_string(e.counter + offset)};
    }
    args.push_back("-d");
    args.push_back(std::to_string(e.digits));
    if (base32) args.push_back("-b");
    args.push_back(secret_text);
    return oathtool(args);
}

inline std::vector<std::string> error_lines(const ImportResult& r) {
    std::vector<std::string> out;
    for (const auto& e : r.errors) out.push_back(admin::to_string(e));
    return out;
}

inline std::vector<std::string> users(const ImportResult& r) {
    std::vector<std::string> out;
    for (const auto& e : r.entries) out.push_back(e.user);
    return out;
}

inline std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

// Hex digits to bytes, written apart from the library's decoder.
inline std::vector<std::uint8_t> hex_bytes(std::string_view hex) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

}  // namespace kotp::import_test
