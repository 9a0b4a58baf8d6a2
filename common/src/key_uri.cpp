#include "kotp/key_uri.hpp"

#include <charconv>
#include <new>
#include <string_view>
#include <vector>

#include "kotp/base32.hpp"
#include "kotp/otp.hpp"
#include "kotp/wipe.hpp"

namespace kotp {

KeyUri::~KeyUri() {
    wipe(secret);
}

namespace {

constexpr std::string_view kScheme = "otpauth://";

bool is_unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

void percent_encode(std::string_view in, std::string& out) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char c : in) {
        if (is_unreserved(c)) {
            out.push_back(c);
        } else {
            const auto byte = static_cast<unsigned char>(c);
            out.push_back('%');
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0x0f]);
        }
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// Decodes %XX escapes into `out` (reserved first: the value may be the secret, and a reallocation
// would leave a copy behind). A NUL byte is refused: it would truncate the value in every C API
// and the wire codec refuses it anyway. In a query, '+' is a space as HTML forms and Python's
// urlencode write it; make_key_uri writes a literal '+' as %2B, so nothing is lost.
bool percent_decode(std::string_view in, bool plus_is_space, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (in.size() - i < 3) return false;
            const int hi = hex_value(in[i + 1]);
            const int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0') return false;
        out.push_back(c);
    }
    return true;
}

// Issuer and account end up in logs, prompts and the admin's terminal: control characters there
// could forge log lines or move the cursor, and no real name has them.
bool printable(std::string_view s) {
    for (const char c : s) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) return false;
    }
    return true;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

// Plain decimal only: from_chars refuses '+', spaces and "0x" (and '-' for unsigned types; the
// callers' range checks catch a negative int).
template <typename T>
bool parse_decimal(std::string_view s, T& out) {
    if (s.empty()) return false;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
}

std::optional<wire::Algorithm> parse_algorithm(std::string_view s) {
    for (const auto a : {wire::Algorithm::Sha1, wire::Algorithm::Sha256, wire::Algorithm::Sha512})
        if (iequals(s, otp::algorithm_name(a))) return a;
    return std::nullopt;
}

// Holds a decoded query value; wiped because one of them is the secret.
struct Scratch {
    std::string text;
    ~Scratch() { wipe(text); }
};

// Fills `key` from `uri`; false on anything malformed.
bool fill(std::string_view uri, KeyUri& key) {
    if (uri.size() < kScheme.size() || !iequals(uri.substr(0, kScheme.size()), kScheme))
        return false;
    uri.remove_prefix(kScheme.size());
    if (const auto hash = uri.find('#'); hash != std::string_view::npos) uri = uri.substr(0, hash);

    const auto slash = uri.find('/');
    if (slash == std::string_view::npos) return false;
    const std::string_view type_text = uri.substr(0, slash);
    wire::TokenType type{};
    if (iequals(type_text, "totp")) {
        type = wire::TokenType::Totp;
    } else if (iequals(type_text, "hotp")) {
        type = wire::TokenType::Hotp;
    } else {
        return false;
    }
    uri.remove_prefix(slash + 1);

    const auto question = uri.find('?');
    if (question == std::string_view::npos) return false;  // no query, so no secret
    const std::string_view label = uri.substr(0, question);
    std::string_view query = uri.substr(question + 1);

    key.type = type;

    // A literal ':' separates issuer and account; make_key_uri escapes any ':' inside them.
    std::string label_issuer;
    bool has_label_issuer = false;
    if (const auto colon = label.find(':'); colon != std::string_view::npos) {
        has_label_issuer = true;
        if (!percent_decode(label.substr(0, colon), false, label_issuer) ||
            !percent_decode(label.substr(colon + 1), false, key.account))
            return false;
    } else if (!percent_decode(label, false, key.account)) {
        return false;
    }

    enum Seen : unsigned {
        kSecret = 1,
        kIssuer = 2,
        kAlgorithm = 4,
        kDigits = 8,
        kPeriod = 16,
        kCounter = 32
    };
    unsigned seen = 0;
    bool has_issuer_param = false;
    Scratch value;
    value.text.reserve(query.size());  // never reallocated, so no unwiped copy is left behind
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        const std::string_view name = pair.substr(0, eq);
        const std::string_view raw =
            eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        if (!percent_decode(raw, true, value.text)) return false;

        unsigned flag = 0;
        bool ok = true;
        if (iequals(name, "secret")) {
            flag = kSecret;
            auto bytes = base32_decode(value.text);
            ok = bytes && !bytes->empty();
            // Re-encoded so the stored form is canonical: upper case, no spaces, no padding.
            if (ok) key.secret = base32_encode(*bytes);
            if (bytes) wipe(*bytes);
            ok = ok && !key.secret.empty();
        } else if (iequals(name, "issuer")) {
            flag = kIssuer;
            has_issuer_param = true;
            key.issuer = value.text;
        } else if (iequals(name, "algorithm")) {
            flag = kAlgorithm;
            const auto algorithm = parse_algorithm(value.text);
            ok = algorithm.has_value();
            if (ok) key.algorithm = *algorithm;
        } else if (iequals(name, "digits")) {
            flag = kDigits;
            ok = parse_decimal(value.text, key.digits) && key.digits >= otp::kMinDigits &&
                 key.digits <= otp::kMaxDigits;
        } else if (iequals(name, "period")) {
            flag = kPeriod;
            ok = parse_decimal(value.text, key.period) && key.period > 0;
        } else if (iequals(name, "counter")) {
            flag = kCounter;
            ok = parse_decimal(value.text, key.counter);
        }
        // Unknown parameters (image, color ...) are ignored as the apps do; a repeated one is
        // refused because we could not tell which value the user's app took.
        if (!ok || (seen & flag) != 0) return false;
        seen |= flag;
    }
    if ((seen & kSecret) == 0) return false;
    // The Key URI format makes counter REQUIRED for hotp: guessing 0 could desynchronise a token.
    if (type == wire::TokenType::Hotp && (seen & kCounter) == 0) return false;

    if (has_label_issuer) {
        // Both present and different: the URI contradicts itself, so trust neither.
        if (has_issuer_param && key.issuer != label_issuer) return false;
        key.issuer = std::move(label_issuer);
    } else if (has_issuer_param && !key.issuer.empty() && key.account.size() > key.issuer.size() &&
               key.account.compare(0, key.issuer.size(), key.issuer) == 0 &&
               key.account[key.issuer.size()] == ':') {
        // The format also allows the separating colon to be escaped ("Example%3Aalice"); only
        // split on it when the issuer parameter says where, so an account with a ':' survives.
        key.account.erase(0, key.issuer.size() + 1);
    }
    // The format allows spaces after the colon ("Example: alice"); login names never start with
    // one.
    key.account.erase(0, key.account.find_first_not_of(' '));
    if (key.account.empty() || !printable(key.account) || !printable(key.issuer)) return false;
    return true;
}

std::optional<KeyUri> parse(std::string_view uri) {
    std::optional<KeyUri> result;
    // Built in place and returned by NRVO, so the secret is never copied; on failure the
    // destructor wipes whatever was filled in.
    result.emplace();
    if (!fill(uri, *result)) result.reset();
    return result;
}

}  // namespace

std::string make_key_uri(const KeyUri& key) {
    std::string out;
    try {
        // Reserved for the worst case (every byte escaped): the URI holds the secret, and a
        // reallocation would leave a copy of it in freed memory.
        out.reserve(kScheme.size() + 128 +
                    3 * (2 * key.issuer.size() + key.account.size() + key.secret.size()));
        out.append(kScheme);
        out.append(key.type == wire::TokenType::Hotp ? "hotp/" : "totp/");
        if (!key.issuer.empty()) {
            percent_encode(key.issuer, out);
            out.push_back(':');
        }
        percent_encode(key.account, out);
        out.append("?secret=");
        percent_encode(key.secret, out);
        if (!key.issuer.empty()) {
            out.append("&issuer=");
            percent_encode(key.issuer, out);
        }
        out.append("&algorithm=");
        out.append(otp::algorithm_name(key.algorithm));
        out.append("&digits=");
        out.append(std::to_string(key.digits));
        if (key.type == wire::TokenType::Hotp) {
            out.append("&counter=");
            out.append(std::to_string(key.counter));
        } else {
            out.append("&period=");
            out.append(std::to_string(key.period));
        }
    } catch (const std::bad_alloc&) {
        wipe(out);
        return {};
    }
    return out;
}

std::optional<KeyUri> parse_key_uri(std::string_view uri) {
    try {
        return parse(uri);
    } catch (const std::bad_alloc&) {
        return std::nullopt;
    }
}

}  // namespace kotp
