// Helpers shared by the import parsers (import_csv.cpp, import_google_authenticator.cpp,
// import_oath.cpp, import_formats.cpp). Not part of the kotp_import_formats interface.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "import_formats.hpp"
#include "kotp/user_name.hpp"

namespace kotp::admin::import_detail {

// Calls f(line_number, line) for each line of text (1-based numbers), without its "\n" or "\r\n".
// A last line without a newline counts; the empty rest after a final newline does not.
template <typename F>
void for_each_line(std::string_view text, F&& f) {
    std::size_t number = 0;
    while (!text.empty()) {
        ++number;
        const std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        f(number, line);
    }
}

// The fields of one line, at most N; `too_many` when the line has more.
template <std::size_t N>
struct SplitFields {
    std::array<std::string_view, N> value{};
    std::size_t count = 0;
    bool too_many = false;
};

inline bool is_blank(char c) { return c == ' ' || c == '\t'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Without leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);

// ASCII case-insensitive equality and prefix test.
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

// `s` in double quotes for a message: '"' and '\' escaped, bytes outside printable ASCII as \xNN,
// cut after 64 bytes, so that no file can put control sequences on the admin's terminal.
std::string quoted(std::string_view s);

// "FILE:LINE".
std::string origin(std::string_view file_name, std::size_t line);

// A decimal number made of digits only (no sign, no spaces); nullopt on overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view s);

// Reasons a secret is refused, for messages. Never quotes the secret.
enum class SecretProblem { None, Empty, NotBase32, NotHex, NeitherBase32NorHex, TooShort, TooLong };

struct DecodedSecret {
    std::vector<std::uint8_t> bytes;  // wiped by the caller when not kept
    SecretProblem problem = SecretProblem::None;
    std::size_t size = 0;  // the decoded size, for TooShort and TooLong
};

enum class SecretEncoding { Base32, Hex, Auto };

// Decodes and checks the length (kMinImportSecretBytes..kMaxImportSecretBytes). With Auto: the CSV
// rule ("hex:" or "0x" prefix, or hex digits with one of 0, 1, 8, 9: hex; else Base32).
DecodedSecret decode_secret(std::string_view text, SecretEncoding encoding);

// The message for a problem, e.g. "secret is 8 bytes; at least 10 (80 bits) are needed".
std::string secret_problem_text(const DecodedSecret& decoded);

// Adds "FILE:LINE: message".
void add_error(ImportResult& result, std::string_view file_name, std::size_t line, std::string message);

// Where each user of a file was first seen (the views point into the file's text).
using FirstLines = std::unordered_map<std::string_view, std::size_t>;

// The last step of a line that names one user: a secret that did not decode, or a user seen on
// an earlier line, is an error (the secret is wiped); otherwise the entry gets the user, the
// secret and its origin and is kept.
void keep_entry(ImportResult& result, FirstLines& seen, std::string_view file_name, std::size_t line,
                std::string_view user, ImportEntry entry, DecodedSecret secret);

}  // namespace kotp::admin::import_detail
