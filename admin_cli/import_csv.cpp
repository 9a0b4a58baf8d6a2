// CSV import: user,secret[,type,algorithm,digits,period] (the rules are in import_formats.hpp).
#include <array>
#include <unordered_map>

#include "import_formats.hpp"
#include "import_internal.hpp"
#include "kotp/wipe.hpp"

namespace kotp::admin {

using namespace import_detail;

namespace {

constexpr std::size_t kMaxFields = 6;
constexpr const char* kLayout = "user,secret[,type,algorithm,digits,period]";

using Fields = SplitFields<kMaxFields>;

Fields split(std::string_view line) {
    Fields f;
    for (;;) {
        const std::size_t comma = line.find(',');
        if (f.count == kMaxFields) {
            f.too_many = true;
            return f;
        }
        f.value[f.count++] = trim(line.substr(0, comma));
        if (comma == std::string_view::npos) return f;
        line.remove_prefix(comma + 1);
    }
}

// Fills the optional fields of `entry`; an error message, or "" when they are all valid.
std::string parse_options(const Fields& f, ImportEntry& entry) {
    if (f.count > 2 && !f.value[2].empty()) {
        if (iequals(f.value[2], "totp"))
            entry.type = wire::TokenType::Totp;
        else if (iequals(f.value[2], "hotp"))
            entry.type = wire::TokenType::Hotp;
        else
            return "type " + quoted(f.value[2]) + " is not totp or hotp";
    }
    if (f.count > 3 && !f.value[3].empty()) {
        if (iequals(f.value[3], "sha1"))
            entry.algorithm = wire::Algorithm::Sha1;
        else if (iequals(f.value[3], "sha256"))
            entry.algorithm = wire::Algorithm::Sha256;
        else if (iequals(f.value[3], "sha512"))
            entry.algorithm = wire::Algorithm::Sha512;
        else
            return "algorithm " + quoted(f.value[3]) + " is not sha1, sha256 or sha512";
    }
    if (f.count > 4 && !f.value[4].empty()) {
        if (f.value[4] == "6")
            entry.digits = 6;
        else if (f.value[4] == "8")
            entry.digits = 8;
        else
            return "digits " + quoted(f.value[4]) + " is not 6 or 8";
    }
    if (f.count > 5 && !f.value[5].empty()) {
        if (f.value[5] == "30")
            entry.period = 30;
        else if (f.value[5] == "60")
            entry.period = 60;
        else
            return "period " + quoted(f.value[5]) + " is not 30 or 60";
    }
    return {};
}

bool is_header(const Fields& f) {
    if (f.count < 1 || !iequals(f.value[0], "user")) return false;
    if (f.count < 2) return true;
    DecodedSecret d = decode_secret(f.value[1], SecretEncoding::Auto);
    const bool secret = d.problem == SecretProblem::None;
    wipe(d.bytes);
    return !secret;
}

}  // namespace

ImportResult parse_csv(std::string_view text, std::string_view file_name) {
    ImportResult result;
    // Spreadsheets ("CSV UTF-8" in Excel) start the file with a UTF-8 byte order mark.
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    // Where each user was first seen; the views point into `text`.
    FirstLines seen;
    {
        std::size_t lines = 1;
        for (const char c : text) lines += c == '\n' ? 1 : 0;
        seen.reserve(lines);
        result.entries.reserve(lines);
    }
    bool first_content = true;

    for_each_line(text, [&](std::size_t number, std::string_view raw) {
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#') return;
        const Fields f = split(line);
        const bool first = first_content;
        first_content = false;
        if (first && is_header(f)) return;

        if (f.too_many) {
            add_error(result, file_name, number,
                      "more than " + std::to_string(kMaxFields) + " fields (expected " + kLayout + ")");
            return;
        }
        const std::string_view user = f.value[0];
        if (user.empty()) {
            add_error(result, file_name, number, std::string("missing user name (expected ") + kLayout + ")");
            return;
        }
        if (!valid_user_name(user)) {
            add_error(result, file_name, number,
                      "invalid user name " + quoted(user) +
                          " (1-256 characters of A-Z a-z 0-9 . _ @ $ -, not starting with '-')");
            return;
        }
        if (f.count < 2 || f.value[1].empty()) {
            add_error(result, file_name, number, std::string("missing secret (expected ") + kLayout + ")");
            return;
        }

        ImportEntry entry;
        if (std::string problem = parse_options(f, entry); !problem.empty()) {
            add_error(result, file_name, number, std::move(problem));
            return;
        }
        keep_entry(result, seen, file_name, number, user, std::move(entry), decode_secret(f.value[1], SecretEncoding::Auto));
    });
    return result;
}

}  // namespace kotp::admin
