// google-authenticator-libpam secret files (~/.google_authenticator). The rules are in
// import_formats.hpp; what the PAM module itself does (src/pam_google_authenticator.c):
//   - the secret is the first line, Base32;
//   - an option is a line `" NAME value`; TOTP is on when `" TOTP_AUTH` appears, HOTP when
//     HOTP_COUNTER is 1 or more; HOTP tries HOTP_COUNTER .. + WINDOW_SIZE - 1 and stores the
//     matched counter + 1, so HOTP_COUNTER is the next counter to accept;
//   - STEP_SIZE is 1-60 (default 30); codes are 6 digits of HMAC-SHA1;
//   - the other lines are scratch codes: 8 digits, 10000000-99999999.
#include "import_formats.hpp"
#include "import_internal.hpp"
#include "kotp/wipe.hpp"

namespace kotp::admin {

using namespace import_detail;

namespace {

bool is_scratch_code(std::string_view s) {
    if (s.size() != 8 || s.front() == '0') return false;
    for (const char c : s)
        if (!is_digit(c)) return false;
    return true;
}

}  // namespace

ImportResult parse_google_authenticator(std::string_view text, std::string_view file_name,
                                        std::string_view user) {
    ImportResult result;
    if (!valid_user_name(user)) {
        result.errors.push_back(ImportError{std::string(file_name), "invalid user name " + quoted(user)});
        return result;
    }
    if (text.empty()) {
        result.errors.push_back(ImportError{std::string(file_name), "the file is empty"});
        return result;
    }

    ImportEntry entry;
    entry.user = std::string(user);
    entry.origin = origin(file_name, 1);
    // Reserved up front: a reallocation would leave copies of the codes (held inside the string
    // objects) in freed memory.
    entry.recovery_codes.reserve(wire::kRecoveryCodeCount);
    bool have_secret = false;
    bool have_counter = false;
    bool have_step = false;

    for_each_line(text, [&](std::size_t number, std::string_view raw) {
        const std::string_view line = trim(raw);
        if (number == 1) {
            DecodedSecret secret = decode_secret(line, SecretEncoding::Base32);
            if (secret.problem == SecretProblem::Empty || secret.problem == SecretProblem::NotBase32) {
                add_error(result, file_name, number, "the first line is not a Base32 secret");
            } else if (secret.problem != SecretProblem::None) {
                add_error(result, file_name, number, secret_problem_text(secret));
            } else {
                entry.secret = std::move(secret.bytes);
                have_secret = true;
            }
            return;
        }
        if (line.empty()) return;
        if (line.front() == '"') {
            // `" NAME [value]`. The module only matches its names in upper case after one space;
            // any spacing is taken here.
            std::string_view rest = trim(line.substr(1));
            const std::size_t end = rest.find_first_of(" \t");
            const std::string_view name = rest.substr(0, end);
            const std::string_view value = end == std::string_view::npos ? std::string_view{} : trim(rest.substr(end));
            if (name == "HOTP_COUNTER") {
                if (have_counter) return;  // the module reads the first one
                have_counter = true;
                const auto counter = parse_decimal(value);
                if (!counter || *counter < 1) {
                    add_error(result, file_name, number,
                              "HOTP_COUNTER " + quoted(value) + " is not a counter of 1 or more");
                    return;
                }
                entry.type = wire::TokenType::Hotp;
                entry.counter = *counter;
            } else if (name == "STEP_SIZE") {
                if (have_step) return;
                have_step = true;
                if (value == "30" || value == "60") {
                    entry.period = value == "30" ? 30 : 60;
                } else {
                    add_error(result, file_name, number,
                              "STEP_SIZE " + quoted(value) + " is not supported (kotp takes 30 or 60 seconds)");
                }
            }
            // TOTP_AUTH is the default here; RATE_LIMIT, WINDOW_SIZE, DISALLOW_REUSE, TIME_SKEW,
            // RESETTING_TIME_SKEW and unknown options are state or policy of the old module.
            return;
        }
        if (!is_scratch_code(line)) {
            add_error(result, file_name, number,
                      "neither an option line (\" NAME ...) nor an 8-digit scratch code");
            return;
        }
        for (const auto& code : entry.recovery_codes)
            if (code == line) return;
        if (entry.recovery_codes.size() == wire::kRecoveryCodeCount) {
            add_error(result, file_name, number,
                      "more than " + std::to_string(wire::kRecoveryCodeCount) +
                          " scratch codes (kotp keeps at most " + std::to_string(wire::kRecoveryCodeCount) +
                          " recovery codes)");
            return;
        }
        entry.recovery_codes.emplace_back(line);
    });

    if (!have_secret || !result.errors.empty()) {
        // One file, one token: a token imported without part of what the file says could lock
        // the user out (wrong type or period) or drop recovery codes they rely on.
        wipe_secrets(entry);
        return result;
    }
    result.entries.push_back(std::move(entry));
    return result;
}

}  // namespace kotp::admin
