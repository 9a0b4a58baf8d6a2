// The shared helpers of the import parsers, the google-authenticator file's user and
// read_import_file. The formats themselves are in import_csv.cpp, import_google_authenticator.cpp
// and import_oath.cpp.
#include "import_formats.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "import_internal.hpp"
#include "kotp/hex.hpp"
#include "kotp/base32.hpp"
#include "kotp/wipe.hpp"

namespace kotp::admin {
namespace import_detail {

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

namespace {
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string quoted(std::string_view s) {
    constexpr std::size_t kMaxShown = 64;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    if (s.size() > kMaxShown) out += "...";
    out += '"';
    return out;
}

std::string origin(std::string_view file_name, std::size_t line) {
    std::string out(file_name);
    out += ':';
    out += std::to_string(line);
    return out;
}

std::optional<std::uint64_t> parse_decimal(std::string_view s) {
    if (s.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : s) {
        if (!is_digit(c)) return std::nullopt;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

namespace {

// The CSV rule for a secret without prefix: hex digits only (blanks aside), at least one, and one
// of 0, 1, 8, 9, which Base32 does not use.
bool looks_hex(std::string_view text) {
    bool any = false;
    bool non_base32 = false;
    for (const char c : text) {
        if (is_blank(c)) continue;
        if (hex_value(c) < 0) return false;
        any = true;
        if (c == '0' || c == '1' || c == '8' || c == '9') non_base32 = true;
    }
    return any && non_base32;
}

}  // namespace

DecodedSecret decode_secret(std::string_view text, SecretEncoding encoding) {
    DecodedSecret d;
    text = trim(text);
    if (encoding == SecretEncoding::Auto) {
        if (istarts_with(text, "hex:") || istarts_with(text, "0x")) {
            text.remove_prefix(istarts_with(text, "hex:") ? 4 : 2);
            encoding = SecretEncoding::Hex;
        } else if (looks_hex(text)) {
            encoding = SecretEncoding::Hex;
        }
    }
    if (trim(text).empty()) {
        d.problem = SecretProblem::Empty;
        return d;
    }
    std::optional<std::vector<std::uint8_t>> bytes =
        encoding == SecretEncoding::Hex ? hex_decode(text, true) : base32_decode(text);
    if (!bytes) {
        d.problem = encoding == SecretEncoding::Hex      ? SecretProblem::NotHex
                    : encoding == SecretEncoding::Base32 ? SecretProblem::NotBase32
                                                         : SecretProblem::NeitherBase32NorHex;
        return d;
    }
    d.size = bytes->size();
    if (d.size < kMinImportSecretBytes || d.size > kMaxImportSecretBytes) {
        d.problem = d.size < kMinImportSecretBytes ? SecretProblem::TooShort : SecretProblem::TooLong;
        wipe(*bytes);
        return d;
    }
    d.bytes = std::move(*bytes);
    return d;
}

std::string secret_problem_text(const DecodedSecret& decoded) {
    switch (decoded.problem) {
        case SecretProblem::None:
            return {};
        case SecretProblem::Empty:
            return "missing secret";
        case SecretProblem::NotBase32:
            return "secret is not valid Base32 (A-Z, 2-7)";
        case SecretProblem::NotHex:
            return "secret is not valid hex (pairs of 0-9, a-f)";
        case SecretProblem::NeitherBase32NorHex:
            return "secret is neither valid Base32 (A-Z, 2-7) nor hex (pairs of 0-9, a-f)";
        case SecretProblem::TooShort:
            return "secret is " + std::to_string(decoded.size) + " bytes; at least " +
                   std::to_string(kMinImportSecretBytes) + " (" + std::to_string(kMinImportSecretBytes * 8) +
                   " bits) are needed";
        case SecretProblem::TooLong:
            return "secret is " + std::to_string(decoded.size) + " bytes; at most " +
                   std::to_string(kMaxImportSecretBytes) + " are accepted";
    }
    return "invalid secret";
}

void add_error(ImportResult& result, std::string_view file_name, std::size_t line, std::string message) {
    result.errors.push_back(ImportError{origin(file_name, line), std::move(message)});
}

void keep_entry(ImportResult& result, FirstLines& seen, std::string_view file_name, std::size_t line,
                std::string_view user, ImportEntry entry, DecodedSecret secret) {
    if (secret.problem != SecretProblem::None) {
        wipe(secret.bytes);
        add_error(result, file_name, line, secret_problem_text(secret));
        return;
    }
    const auto [it, inserted] = seen.try_emplace(user, line);
    if (!inserted) {
        wipe(secret.bytes);
        add_error(result, file_name, line,
                  "user " + quoted(user) + " again (first on line " + std::to_string(it->second) + "); only line " +
                      std::to_string(it->second) + " is imported");
        return;
    }
    entry.user = std::string(user);
    entry.secret = std::move(secret.bytes);
    entry.origin = origin(file_name, line);
    result.entries.push_back(std::move(entry));
}

}  // namespace import_detail

using namespace import_detail;

std::string to_string(const ImportError& error) { return error.origin + ": " + error.message; }

void wipe_secrets(ImportEntry& entry) noexcept {
    wipe(entry.secret);
    for (auto& code : entry.recovery_codes) wipe(code);
    entry.recovery_codes.clear();
}

void wipe_secrets(ImportResult& result) noexcept {
    for (auto& entry : result.entries) wipe_secrets(entry);
}

std::optional<ImportFormat> parse_import_format(std::string_view name) {
    if (name == "csv") return ImportFormat::Csv;
    if (name == "google-authenticator") return ImportFormat::GoogleAuthenticator;
    if (name == "oath") return ImportFormat::Oath;
    return std::nullopt;
}

const char* import_format_name(ImportFormat format) noexcept {
    switch (format) {
        case ImportFormat::Csv:
            return "csv";
        case ImportFormat::GoogleAuthenticator:
            return "google-authenticator";
        case ImportFormat::Oath:
            return "oath";
    }
    return "?";
}

namespace {

constexpr std::string_view kGaFileName = ".google_authenticator";

std::string_view base_name(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string errno_text(int err) { return std::strerror(err); }

std::optional<std::string> owner_name(uid_t uid, const std::string& path, std::string& error) {
    long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
    passwd pw{};
    passwd* found = nullptr;
    int rc = 0;
    while ((rc = ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found)) == ERANGE && buf.size() < (1u << 20))
        buf.resize(buf.size() * 2);
    if (rc != 0 || found == nullptr) {
        error = quoted(path) + " belongs to uid " + std::to_string(uid) +
                ", which has no passwd entry: cannot tell whose token it is";
        return std::nullopt;
    }
    std::string name = found->pw_name;
    if (!valid_user_name(name)) {
        error = quoted(path) + " belongs to " + quoted(name) + ", which is not a valid kotp user name";
        return std::nullopt;
    }
    return name;
}

std::optional<std::string> user_from_file_name(const std::string& path, std::string& error) {
    std::string_view name = base_name(path);
    if (name.size() > kGaFileName.size() && name.ends_with(kGaFileName)) name.remove_suffix(kGaFileName.size());
    if (!valid_user_name(name)) {
        error = "cannot tell whose file " + quoted(path) +
                " is: name a collected file after its user (USER or USER.google_authenticator)";
        return std::nullopt;
    }
    return std::string(name);
}

// Reads all of fd into a string, never holding more than kMaxImportFileSize bytes; growing the
// buffer wipes the old one (it holds secrets). `expected` is the size fstat reported, 0 if unknown.
bool read_all(int fd, std::size_t expected, std::string& out, std::string& error) {
    std::string buf;
    try {
        // One byte more than expected, so that EOF is seen without growing.
        buf.resize(std::max<std::size_t>(expected + 1, 4096));
        std::size_t used = 0;
        for (;;) {
            if (used == buf.size()) {
                if (used > kMaxImportFileSize) {
                    wipe(buf);
                    error = "larger than " + std::to_string(kMaxImportFileSize / (1024 * 1024)) + " MiB";
                    return false;
                }
                std::string bigger;
                bigger.resize(std::min(buf.size() * 2, kMaxImportFileSize + 1));
                std::memcpy(bigger.data(), buf.data(), used);
                wipe(buf);
                buf.swap(bigger);
            }
            const ssize_t n = ::read(fd, buf.data() + used, buf.size() - used);
            if (n < 0) {
                if (errno == EINTR) continue;
                error = "cannot read: " + errno_text(errno);
                wipe(buf);
                return false;
            }
            if (n == 0) break;
            used += static_cast<std::size_t>(n);
        }
        if (used > kMaxImportFileSize) {
            wipe(buf);
            error = "larger than " + std::to_string(kMaxImportFileSize / (1024 * 1024)) + " MiB";
            return false;
        }
        // Shrinking the size keeps the buffer: the bytes past `used` are zeros or file data, and
        // the caller wipes the whole capacity.
        buf.resize(used);
    } catch (const std::bad_alloc&) {
        wipe(buf);
        error = "not enough memory to read it";
        return false;
    }
    out.swap(buf);
    return true;
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

}  // namespace

std::optional<std::string> google_authenticator_user(const std::string& path, std::string& error) {
    if (base_name(path) != kGaFileName) return user_from_file_name(path, error);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        error = "cannot read " + quoted(path) + ": " + errno_text(errno);
        return std::nullopt;
    }
    if (S_ISLNK(st.st_mode)) {
        error = quoted(path) + " is a symbolic link: its owner does not tell whose token it is";
        return std::nullopt;
    }
    return owner_name(st.st_uid, path, error);
}

ImportResult read_import_file(ImportFormat format, const std::string& path) {
    ImportResult result;
    auto fail = [&](std::string message) {
        result.errors.push_back(ImportError{path, std::move(message)});
        return std::move(result);
    };

    const bool ga_owner = format == ImportFormat::GoogleAuthenticator && base_name(path) == kGaFileName;
    const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | (ga_owner ? O_NOFOLLOW : 0)));
    if (fd.get() < 0) {
        const int err = errno;
        if (ga_owner && err == ELOOP)
            return fail("is a symbolic link: its owner does not tell whose token it is");
        return fail("cannot open: " + errno_text(err));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail("cannot read: " + errno_text(errno));
    if (S_ISDIR(st.st_mode)) return fail("is a directory");
    std::size_t expected = 0;
    if (S_ISREG(st.st_mode)) {
        if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > kMaxImportFileSize)
            return fail("is " + std::to_string(st.st_size) + " bytes; the limit is " +
                        std::to_string(kMaxImportFileSize / (1024 * 1024)) + " MiB");
        expected = static_cast<std::size_t>(st.st_size);
    }

    std::string user;
    if (format == ImportFormat::GoogleAuthenticator) {
        std::string error;
        auto name = ga_owner ? owner_name(st.st_uid, path, error) : user_from_file_name(path, error);
        if (!name) return fail(error);
        user = std::move(*name);
    }

    std::string text;
    std::string error;
    if (!read_all(fd.get(), expected, text, error)) return fail(error);

    switch (format) {
        case ImportFormat::Csv:
            result = parse_csv(text, path);
            break;
        case ImportFormat::GoogleAuthenticator:
            result = parse_google_authenticator(text, path, user);
            break;
        case ImportFormat::Oath:
            result = parse_oath_usersfile(text, path);
            break;
    }
    wipe(text);
    return result;
}

}  // namespace kotp::admin
