// kotp-admin import: the csv, google-authenticator and oath parsers, each on every input (the
// formats share helpers, and a file of one format given as another must be refused cleanly).
// Every entry a parser keeps must be one otpd takes: a valid user name, a secret of 10-64 bytes,
// values in range, and an AdminImport frame that encodes and that otpd's decoder reads back
// unchanged. Otherwise the import would fail half way, after the "every file checked before
// anything is sent" promise.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "import_formats.hpp"
#include "kotp/codec.hpp"
#include "kotp/hex.hpp"
#include "kotp/messages.hpp"
#include "kotp/user_name.hpp"

namespace {

using namespace kotp::admin;
namespace wire = kotp::wire;

[[noreturn]] void violated(const char* format_name, const char* what) {
    std::fprintf(stderr, "fuzz_import (%s): %s\n", format_name, what);
    std::abort();
}

bool all_digits(std::string_view s) {
    for (const char c : s)
        if (c < '0' || c > '9') return false;
    return !s.empty();
}

void check(const ImportResult& result, const char* format_name, std::string_view file_name) {
    auto require = [format_name](bool condition, const char* what) {
        if (!condition) violated(format_name, what);
    };
    for (const auto& e : result.errors)
        require(e.origin.rfind(std::string(file_name), 0) == 0 && !e.message.empty(),
                "an error without the file name or without a message");
    std::set<std::string> users;
    for (const auto& e : result.entries) {
        require(kotp::valid_user_name(e.user), "an entry with an invalid user name");
        require(users.insert(e.user).second, "a user kept twice from one file");
        require(e.secret.size() >= kMinImportSecretBytes && e.secret.size() <= kMaxImportSecretBytes,
                "a secret outside 10-64 bytes");
        require(e.digits == 6 || e.digits == 8, "digits other than 6 or 8");
        require(e.period == 30 || e.period == 60, "a period other than 30 or 60");
        require(e.type == wire::TokenType::Totp || e.type == wire::TokenType::Hotp, "a bad type");
        require(e.algorithm == wire::Algorithm::Sha1 || e.algorithm == wire::Algorithm::Sha256 ||
                    e.algorithm == wire::Algorithm::Sha512,
                "a bad algorithm");
        require(e.recovery_codes.size() <= wire::kRecoveryCodeCount, "more recovery codes than a set");
        for (const auto& code : e.recovery_codes) require(all_digits(code), "a recovery code not of digits");
        require(e.origin.rfind(std::string(file_name), 0) == 0, "an entry whose origin is not the file");

        // The token as kotp-admin sends it (policy_commands.cpp, to_wire) and as otpd reads it.
        wire::AdminImport request;
        wire::ImportToken& t = request.tokens.emplace_back();
        t.user = e.user;
        t.type = e.type;
        t.algorithm = e.algorithm;
        t.digits = static_cast<std::uint8_t>(e.digits);
        t.period = static_cast<std::uint16_t>(e.period);
        t.counter = e.counter;
        t.secret_hex = kotp::hex_encode(e.secret);
        t.recovery_codes = e.recovery_codes;
        const auto frame = wire::encode_frame(request);
        require(!frame.empty(), "an entry that does not fit an AdminImport frame");
        wire::AdminImport received;
        require(wire::decode_payload(std::span<const std::uint8_t>(frame).subspan(wire::kHeaderSize),
                                     received) == wire::DecodeError::None &&
                    received.tokens.size() == 1 && received.tokens[0].user == t.user &&
                    received.tokens[0].secret_hex == t.secret_hex &&
                    received.tokens[0].counter == t.counter,
                "an AdminImport frame otpd reads differently");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    {
        ImportResult result = parse_csv(text, "users.csv");
        check(result, "csv", "users.csv");
        wipe_secrets(result);
        for (const auto& e : result.entries)
            if (!e.secret.empty() || !e.recovery_codes.empty()) violated("csv", "wipe_secrets left a secret");
    }
    {
        ImportResult result = parse_google_authenticator(text, "alice.google_authenticator", "alice");
        check(result, "google-authenticator", "alice.google_authenticator");
        if (result.entries.size() > 1) violated("google-authenticator", "more than one token from one file");
        for (const auto& e : result.entries)
            if (e.user != "alice") violated("google-authenticator", "a token for another user than the file's");
        wipe_secrets(result);
    }
    {
        ImportResult result = parse_oath_usersfile(text, "users.oath");
        check(result, "oath", "users.oath");
        wipe_secrets(result);
    }
    return 0;
}
