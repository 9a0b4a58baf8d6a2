#include "options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <string_view>

namespace kotp::bench {
namespace {

std::optional<std::uint64_t> parse_count(std::string_view text, std::uint64_t lo, std::uint64_t hi) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < lo || value > hi)
        return std::nullopt;
    return value;
}

std::optional<double> parse_seconds(std::string_view text, double lo, double hi) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) ||
        value < lo || value > hi)
        return std::nullopt;
    return value;
}

std::optional<Mix> parse_mix(std::string_view text) {
    unsigned parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; ++i) {
        const auto comma = text.find(',');
        if ((i < 2) == (comma == std::string_view::npos)) return std::nullopt;
        const auto n = parse_count(text.substr(0, comma), 0, 100);
        if (!n) return std::nullopt;
        parts[i] = static_cast<unsigned>(*n);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    if (parts[0] + parts[1] + parts[2] != 100) return std::nullopt;
    return Mix{parts[0], parts[1], parts[2]};
}

bool is_url(std::string_view conninfo) {
    return conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
}

// Whether a connection string carries a password: a URL's user:password@, or a password
// parameter (a URL's ?password=, a key=value string's password = ...).
bool holds_password(std::string_view conninfo) {
    std::string lower(conninfo);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (auto at = lower.find("password"); at != std::string::npos; at = lower.find("password", at + 1)) {
        auto end = at + 8;
        while (end < lower.size() && (lower[end] == ' ' || lower[end] == '\t')) ++end;
        if (end < lower.size() && lower[end] == '=') return true;
    }
    if (is_url(lower)) {
        const auto authority = lower.substr(lower.find("://") + 3);
        const auto user_info = authority.substr(0, std::min(authority.find('/'), authority.find('?')));
        const auto at = user_info.rfind('@');
        if (at != std::string::npos && user_info.substr(0, at).find(':') != std::string::npos) return true;
    }
    return false;
}

ParseOutcome bad(const std::string& what) {
    return {std::nullopt, std::string("kotp-load: ") + what + "\n" + usage_line(), 2};
}

}  // namespace

const char* token_name(TokenChoice token) noexcept { return token == TokenChoice::Hotp ? "hotp" : "totp"; }

std::string storage_label(const Options& options) { return options.storage.empty() ? "sqlite" : options.storage; }

const char* usage_line() noexcept {
    return "usage: kotp-load --otpd PATH --admin PATH --state DIR [--users N] [--clients C] [--threads T]\n"
           "                 [--seconds S | --verifications V] [--warmup S] [--mix R,W,P] [--token hotp|totp]\n"
           "                 [--timeout S] [--seed N] [--json FILE] [--keep-state]\n"
           "                 [--storage CONNINFO [--storage-password-file FILE] [--nodes K]] [--db-server-pid PID]\n";
}

const char* help_text() noexcept {
    return "kotp-load: drives a real otpd over its Unix socket with C concurrent clients, each\n"
           "verification one whole login exchange as pam_kotp.so makes it (AuthBegin, the prompt,\n"
           "AuthAnswer, the final AuthStep), with a mix of right, wrong and replayed codes. It predicts\n"
           "the exact outcome of every exchange and fails when otpd answers anything else.\n"
           "\n"
           "  --otpd PATH          the otpd to run\n"
           "  --admin PATH         kotp-admin, used to import the users\n"
           "  --state DIR          created for the run (otpd.conf, socket, database, log); removed at the\n"
           "                       end unless --keep-state or the run failed\n"
           "  --users N            enrolled users, 1 to 10000000 (1000); at least --clients\n"
           "  --clients C          concurrent client connections (64)\n"
           "  --threads T          client threads, the clients split over them (1)\n"
           "  --seconds S          length of the measured phase (10)\n"
           "  --verifications V    or: the measured phase ends after V verifications\n"
           "  --warmup S           seconds of load before the measured phase, not counted (1)\n"
           "  --mix R,W,P          percent right, wrong and replayed codes (80,10,10)\n"
           "  --token hotp|totp    token type of every user (hotp): HOTP accepts any number of logins\n"
           "                       per user, TOTP one per user per 30-s step (use users >> rate * 30)\n"
           "  --timeout S          limit for one whole exchange (10)\n"
           "  --seed N             seed of the visiting order and the mix (random; printed)\n"
           "  --json FILE          also write the report as JSON\n"
           "  --keep-state         keep DIR with its enrolled users; a later run with the same --users\n"
           "                       and --token reuses them instead of enrolling again\n"
           "  --storage CONNINFO   otpd keeps its state in this PostgreSQL database (a postgresql:// URL or\n"
           "                       a libpq key=value string, without the password) instead of SQLite in\n"
           "                       DIR. The database is part of the state: a new enrolment needs it\n"
           "                       empty, and --keep-state reuses it only with the DIR that enrolled it\n"
           "                       (same users, token and CONNINFO, and nothing written since)\n"
           "  --storage-password-file FILE  the password, alone on the first line (not readable by others)\n"
           "  --nodes K            K otpd (1 to 8) on the same --storage, each with its own socket and a\n"
           "                       copy of the master key; client c talks to node c % K (1)\n"
           "  --db-server-pid PID  the database server's main process (the postmaster): its CPU time and\n"
           "                       its child processes' is reported per verification too\n"
           "\n"
           "Exit status: 0 every outcome was the predicted one; 1 an outcome differed, an exchange\n"
           "failed or otpd died during the load; 2 bad arguments; 3 the setup failed (state\n"
           "directory, otpd start, enrolment).\n";
}

ParseOutcome parse_options(int argc, char** argv) {
    Options o;
    bool have_seconds = false;
    bool have_verifications = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") return {std::nullopt, std::string(usage_line()) + "\n" + help_text(), 0};
        if (arg == "--keep-state") {
            o.keep_state = true;
            continue;
        }
        if (i + 1 >= argc) return bad("missing value after " + std::string(arg));
        const std::string_view value = argv[++i];
        if (arg == "--otpd") {
            o.otpd_path = value;
        } else if (arg == "--admin") {
            o.admin_path = value;
        } else if (arg == "--state") {
            o.state_dir = value;
        } else if (arg == "--users") {
            const auto n = parse_count(value, 1, kMaxUsers);
            if (!n) return bad("--users must be a whole number from 1 to " + std::to_string(kMaxUsers));
            o.users = static_cast<std::uint32_t>(*n);
        } else if (arg == "--clients") {
            const auto n = parse_count(value, 1, kMaxClients);
            if (!n) return bad("--clients must be a whole number from 1 to " + std::to_string(kMaxClients));
            o.clients = static_cast<unsigned>(*n);
        } else if (arg == "--threads") {
            const auto n = parse_count(value, 1, kMaxThreads);
            if (!n) return bad("--threads must be a whole number from 1 to " + std::to_string(kMaxThreads));
            o.threads = static_cast<unsigned>(*n);
        } else if (arg == "--seconds") {
            const auto s = parse_seconds(value, 0.1, 86400);
            if (!s) return bad("--seconds must be a number of seconds from 0.1 to 86400");
            o.seconds = *s;
            have_seconds = true;
        } else if (arg == "--verifications") {
            const auto n = parse_count(value, 1, std::uint64_t{1} << 40);
            if (!n) return bad("--verifications must be a whole number of at least 1");
            o.verifications = *n;
            have_verifications = true;
        } else if (arg == "--warmup") {
            const auto s = parse_seconds(value, 0, 3600);
            if (!s) return bad("--warmup must be a number of seconds from 0 to 3600");
            o.warmup_seconds = *s;
        } else if (arg == "--timeout") {
            const auto s = parse_seconds(value, 0.1, 25);
            // An exchange longer than a TOTP step could see two step changes; 25 s keeps the
            // prediction exact.
            if (!s) return bad("--timeout must be a number of seconds from 0.1 to 25");
            o.timeout_seconds = *s;
        } else if (arg == "--mix") {
            const auto m = parse_mix(value);
            if (!m) return bad("--mix must be three percentages right,wrong,replay that add up to 100, e.g. 80,10,10");
            o.mix = *m;
        } else if (arg == "--token") {
            if (value == "hotp")
                o.token = TokenChoice::Hotp;
            else if (value == "totp")
                o.token = TokenChoice::Totp;
            else
                return bad("--token must be hotp or totp");
        } else if (arg == "--seed") {
            const auto n = parse_count(value, 1, UINT64_MAX);
            if (!n) return bad("--seed must be a whole number of at least 1");
            o.seed = *n;
        } else if (arg == "--storage") {
            if (value.empty() || value == "sqlite") {
                o.storage.clear();
                continue;
            }
            if (!is_url(value) && value.find('=') == std::string_view::npos)
                return bad("--storage must be a postgresql:// URL or a libpq key=value connection string");
            if (value.find_first_of("\r\n") != std::string_view::npos) return bad("--storage must be one line");
            if (holds_password(value))
                return bad("--storage must not hold the password: put it in --storage-password-file");
            o.storage = value;
        } else if (arg == "--storage-password-file") {
            if (value.empty()) return bad("--storage-password-file needs a file name");
            o.storage_password_file = std::filesystem::absolute(std::string(value)).lexically_normal().string();
        } else if (arg == "--nodes") {
            const auto n = parse_count(value, 1, kMaxNodes);
            if (!n) return bad("--nodes must be a whole number from 1 to " + std::to_string(kMaxNodes));
            o.nodes = static_cast<unsigned>(*n);
        } else if (arg == "--db-server-pid") {
            const auto n = parse_count(value, 1, 1u << 22);
            if (!n) return bad("--db-server-pid must be a process id");
            o.db_server_pid = static_cast<pid_t>(*n);
        } else if (arg == "--json") {
            if (value.empty()) return bad("--json needs a file name");
            o.json_path = value;
        } else {
            return bad("unknown argument '" + std::string(arg) + "'");
        }
    }
    if (o.otpd_path.empty() || o.admin_path.empty() || o.state_dir.empty())
        return bad("--otpd, --admin and --state are required");
    if (have_seconds && have_verifications) return bad("give --seconds or --verifications, not both");
    if (o.users < o.clients)
        return bad("--users (" + std::to_string(o.users) + ") must be at least --clients (" +
                   std::to_string(o.clients) + "): each client drives users of its own");
    if (o.threads > o.clients) return bad("--threads must not be more than --clients");
    if (o.storage.empty() && !o.storage_password_file.empty())
        return bad("--storage-password-file goes with --storage");
    if (o.storage.empty() && o.nodes > 1)
        return bad("--nodes above 1 needs --storage: nodes share one PostgreSQL database");
    if (o.nodes > o.clients) return bad("--nodes must not be more than --clients");
    return {o, {}, 0};
}

}  // namespace kotp::bench
