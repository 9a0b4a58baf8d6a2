// The file formats of `kotp-admin import`: parsers that turn migration files into tokens to import.
// No otpd, no socket: the command (admin_cli) sends what these return.
//
// Every parser reads the whole text, keeps each good record and reports each bad one as an
// ImportError "FILE:LINE: what is wrong" (never with a secret or a PIN in it). Imported tokens are
// meant to be active at once: the user already has them in an app or on a hardware token.
//
// Rules shared by the formats
//   - User names: otpd's rule (kotp::valid_user_name in common/, which is not in a library
//     this one may link, so it is repeated in import_internal.hpp): 1-256 bytes of
//     [A-Za-z0-9._@$-], not starting with '-'.
//   - Secrets: 10 to 64 bytes. Below 80 bits is refused (RFC 4226 asks for 128 and recommends
//     160); above 64 bytes is more than any authenticator app takes.
//   - A user may appear once per file: a later line for the same user is an error that names
//     both lines, and only the first is kept.
//   - Lines end in LF or CRLF.
//
// CSV (--format csv):  user,secret[,type,algorithm,digits,period]
//   - '#' comment lines and blank lines are skipped; fields are trimmed of spaces and tabs; there
//     is no quoting (no field may contain a comma). A UTF-8 byte order mark at the start is skipped.
//   - An optional header: the first line that is not blank or a comment is skipped when its first
//     field is "user" (any case) and its second field is not a valid secret, e.g.
//     "user,secret,type,algorithm,digits,period". (So a user really called "user" on the first
//     line is kept.)
//   - type totp|hotp, algorithm sha1|sha256|sha512 (any case), digits 6|8, period 30|60 (seconds;
//     checked but unused for hotp). An empty optional field takes the default: totp, sha1, 6, 30.
//     HOTP tokens start at counter 0 (the format has no counter column).
//   - secret: Base32 (any case; spaces, tabs, hyphens and '=' padding ignored) or hex (spaces and
//     tabs ignored). It is hex when prefixed "hex:" or "0x" (any case), or when it is made of hex
//     digits only and holds at least one of 0, 1, 8, 9 (which Base32 does not use); otherwise it is
//     Base32. A hex secret made only of the characters 2-7 and a-f (e.g. "2a3b4c...") is valid
//     Base32 too and is read as Base32: write such a secret with the "hex:" prefix.
//
// google-authenticator (--format google-authenticator): the ~/.google_authenticator file of
// google-authenticator-libpam, one file per user.
//   - Line 1: the Base32 secret. Then option lines starting with '"' (`" TOTP_AUTH`,
//     `" HOTP_COUNTER 5`, `" STEP_SIZE 30`, `" RATE_LIMIT 3 30 ...`, `" WINDOW_SIZE 17`,
//     `" DISALLOW_REUSE ...`, `" TIME_SKEW ...`) and 8-digit emergency scratch codes, one a line.
//   - HOTP when a HOTP_COUNTER line is present: its value is the next counter to accept (the PAM
//     module tries HOTP_COUNTER and up, and stores the matched counter + 1), so it is `counter`
//     as is; it must be at least 1 (the PAM module disables HOTP below 1). TOTP otherwise. Digits
//     6, SHA1 (all the module does); STEP_SIZE is the period and must be 30 or 60 (default 30).
//     Other options (rate limit, window, reuse list, time skew) are not carried over.
//   - Scratch codes (10000000-99999999) become recovery_codes, at most 10 (kotp's set size),
//     duplicates dropped.
//   - Such a file is one token: any error in it refuses the whole file (no entry).
//   - Whose file it is: see google_authenticator_user().
//
// oath (--format oath): the pam_oath usersfile (oath-toolkit's liboath, /etc/users.oath):
//     TYPE USER PIN SECRET [COUNTER [LASTOTP [TIME]]]      whitespace-separated, '#' comments
//   - TYPE, exactly as liboath reads it (case-sensitive): HOTP, HOTP/E, HOTP/E/6, HOTP/E/8 (event
//     based, HOTP) and HOTP/T30, HOTP/T60 with an optional /6 or /8 (time based with that step,
//     TOTP). /7 (7 digits) is refused: otpd takes 6 or 8. Always SHA1.
//   - PIN must be '-' (none). A PIN, or '+' (password checked by another module), is refused:
//     kotp has no PINs; keep the password check in the PAM stack instead.
//   - SECRET is hex.
//   - COUNTER (HOTP only; ignored with LASTOTP and TIME for TOTP lines) is liboath's moving factor.
//     liboath validates codes from COUNTER upwards and, after a success, writes back the counter
//     of the code it accepted (not + 1) with that code as LASTOTP and the TIME; the same counter
//     is then only kept from reuse by the LASTOTP comparison. So: with no LASTOTP the next counter
//     to accept is COUNTER (a fresh line, never used); with a LASTOTP it is COUNTER + 1 (that
//     counter was used). Checked against liboath/usersfile.c (parse_usersfile, update_usersfile2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kotp/wire.hpp"

namespace kotp::admin {

// read_import_file refuses larger files before allocating anything.
inline constexpr std::size_t kMaxImportFileSize = 256u * 1024 * 1024;
inline constexpr std::size_t kMinImportSecretBytes = 10;
inline constexpr std::size_t kMaxImportSecretBytes = 64;

// One token to import. A plain aggregate: the secret and recovery codes are secrets, so call
// wipe_secrets() once they have been sent to otpd.
struct ImportEntry {
    std::string user;
    std::vector<std::uint8_t> secret;  // raw key bytes, 10 to 64
    wire::TokenType type = wire::TokenType::Totp;
    wire::Algorithm algorithm = wire::Algorithm::Sha1;
    unsigned digits = 6;                      // 6 or 8
    unsigned period = 30;                     // 30 or 60 (seconds; used by TOTP only)
    std::uint64_t counter = 0;                // HOTP: next counter to accept
    std::vector<std::string> recovery_codes;  // google-authenticator scratch codes (8 digits)
    std::string origin;                       // "FILE:LINE" for messages
};

struct ImportError {
    std::string origin;  // "FILE:LINE", or "FILE" for an error about the whole file
    std::string message;
};

// "FILE:LINE: message".
std::string to_string(const ImportError& error);

struct ImportResult {
    std::vector<ImportEntry> entries;
    std::vector<ImportError> errors;
};

// Overwrites the secrets and recovery codes (and leaves them empty).
void wipe_secrets(ImportEntry& entry) noexcept;
void wipe_secrets(ImportResult& result) noexcept;

enum class ImportFormat { Csv, GoogleAuthenticator, Oath };

// "csv", "google-authenticator", "oath"; nullopt for anything else.
std::optional<ImportFormat> parse_import_format(std::string_view name);
const char* import_format_name(ImportFormat format) noexcept;

// The parsers. file_name is used only in origins and messages.
ImportResult parse_csv(std::string_view text, std::string_view file_name);
// `user` is whose file it is (see google_authenticator_user); an invalid name is an error.
ImportResult parse_google_authenticator(std::string_view text, std::string_view file_name,
                                        std::string_view user);
ImportResult parse_oath_usersfile(std::string_view text, std::string_view file_name);

// The user a google-authenticator file belongs to:
//   - a file named ".google_authenticator" (a home folder's own file): its owner (st_uid, looked
//     up with getpwuid); a symbolic link is refused (its owner says nothing about the file);
//   - any other name (a folder of collected files named after their users): the base name, with a
//     ".google_authenticator" suffix removed ("alice" or "alice.google_authenticator" -> alice).
// nullopt with `error` set when it cannot be told (no such file, owner without passwd entry, a
// name that is not a valid user name).
std::optional<std::string> google_authenticator_user(const std::string& path, std::string& error);

// Reads `path` and parses it in `format`. The size is checked before anything is allocated (over
// kMaxImportFileSize is refused; pipes such as /dev/stdin are read up to that size); the file's
// text is wiped after parsing. I/O errors become ImportErrors with origin `path`. For
// google-authenticator the user comes from google_authenticator_user() (for ".google_authenticator"
// the owner of the very file read, opened with O_NOFOLLOW).
ImportResult read_import_file(ImportFormat format, const std::string& path);

}  // namespace kotp::admin
