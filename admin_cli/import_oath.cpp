// pam_oath usersfile (oath-toolkit's liboath, e.g. /etc/users.oath):
//     TYPE USER PIN SECRET [COUNTER [LASTOTP [TIME]]]
// The rules, and why COUNTER + 1 is taken when a LASTOTP follows, are in import_formats.hpp.
// liboath skips lines it cannot read without a word; here each one is an error, so that no token
// is silently left behind.
#include <array>
#include <unordered_map>

#include "import_formats.hpp"
#include "import_internal.hpp"
#include "kotp/wipe.hpp"

namespace kotp::admin {

using namespace import_detail;

namespace {

constexpr std::size_t kMaxFields = 7;
constexpr const char* kLayout = "TYPE USER PIN SECRET [COUNTER [LASTOTP [TIME]]]";

using Fields = SplitFields<kMaxFields>;

// liboath splits on " \t\r\n".
Fields split(std::string_view line) {
    Fields f;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_blank(line[i])) ++i;
        if (i == line.size()) break;
        const std::size_t start = i;
        while (i < line.size() && !is_blank(line[i])) ++i;
        if (f.count == kMaxFields) {
            f.too_many = true;
            break;
        }
        f.value[f.count++] = line.substr(start, i - start);
    }
    return f;
}

struct TokenKind {
    wire::TokenType type = wire::TokenType::Hotp;
    unsigned digits = 6;
    unsigned period = 30;
};

// liboath's parse_type, exactly (case-sensitive); digits 7 is returned and refused by the caller.
std::optional<TokenKind> parse_type(std::string_view s) {
    TokenKind k;
    if (s == "HOTP" || s == "HOTP/E" || s == "HOTP/E/6") return k;
    if (s == "HOTP/E/7" || s == "HOTP/E/8") {
        k.digits = s.back() == '7' ? 7 : 8;
        return k;
    }
    for (const unsigned step : {30u, 60u}) {
        const std::string base = "HOTP/T" + std::to_string(step);
        if (!s.starts_with(base)) continue;
        const std::string_view rest = s.substr(base.size());
        k.type = wire::TokenType::Totp;
        k.period = step;
        if (rest.empty() || rest == "/6") return k;
        if (rest == "/7" || rest == "/8") {
            k.digits = rest.back() == '7' ? 7 : 8;
            return k;
        }
        return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

ImportResult parse_oath_usersfile(std::string_view text, std::string_view file_name) {
    ImportResult result;
    FirstLines seen;  // user -> first line; views into text

    for_each_line(text, [&](std::size_t number, std::string_view raw) {
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#') return;
        const Fields f = split(line);
        if (f.too_many) {
            add_error(result, file_name, number,
                      "more than " + std::to_string(kMaxFields) + " fields (expected " + kLayout + ")");
            return;
        }
        const auto kind = parse_type(f.value[0]);
        if (!kind) {
            add_error(result, file_name, number,
                      "unknown token type " + quoted(f.value[0]) +
                          " (expected HOTP, HOTP/E, HOTP/E/8, HOTP/T30, HOTP/T60, HOTP/T30/8 ...)");
            return;
        }
        if (kind->digits == 7) {
            add_error(result, file_name, number,
                      "7-digit codes (" + std::string(f.value[0]) + ") are not supported: kotp takes 6 or 8");
            return;
        }
        if (f.count < 4) {
            add_error(result, file_name, number, std::string("missing fields (expected ") + kLayout + ")");
            return;
        }
        const std::string_view user = f.value[1];
        if (!valid_user_name(user)) {
            add_error(result, file_name, number,
                      "invalid user name " + quoted(user) +
                          " (1-256 characters of A-Z a-z 0-9 . _ @ $ -, not starting with '-')");
            return;
        }
        // Never quote the PIN: it is a password.
        if (f.value[2] == "+") {
            add_error(result, file_name, number,
                      "PINs are not supported; \"+\" (password checked by another module) cannot be "
                      "imported: write \"-\" and keep the password check in the PAM stack");
            return;
        }
        if (f.value[2] != "-") {
            add_error(result, file_name, number,
                      "PINs are not supported; this line has one: write \"-\" and keep the password "
                      "check in the PAM stack");
            return;
        }

        ImportEntry entry;
        entry.type = kind->type;
        entry.digits = kind->digits;
        entry.period = kind->period;
        if (entry.type == wire::TokenType::Hotp && f.count > 4) {
            const auto counter = parse_decimal(f.value[4]);
            if (!counter) {
                add_error(result, file_name, number, "counter " + quoted(f.value[4]) + " is not a number");
                return;
            }
            // A LASTOTP means liboath accepted the code of COUNTER itself: start after it.
            const bool used = f.count > 5;
            if (used && *counter == UINT64_MAX) {
                add_error(result, file_name, number, "counter " + quoted(f.value[4]) + " is too large");
                return;
            }
            entry.counter = used ? *counter + 1 : *counter;
        }

        keep_entry(result, seen, file_name, number, user, std::move(entry), decode_secret(f.value[3], SecretEncoding::Hex));
    });
    return result;
}

}  // namespace kotp::admin
