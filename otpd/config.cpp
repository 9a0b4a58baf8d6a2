#include "config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include "kotp/date_text.hpp"
#include "pg_session.hpp"

namespace kotp::otpd {
namespace {

constexpr std::size_t kMaxConfigSize = 64 * 1024;

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

std::optional<unsigned> parse_unsigned(std::string_view text, unsigned lo, unsigned hi) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < lo || value > hi)
        return std::nullopt;
    return value;
}

// A setter returns an error message, or "" when the value was accepted.
using Setter = std::function<std::string(std::string_view, Config&)>;

Setter text_key(std::string Config::*field, std::size_t max_length, bool allow_empty) {
    return [field, max_length, allow_empty](std::string_view v, Config& c) -> std::string {
        if (!allow_empty && v.empty()) return "must not be empty";
        if (v.size() > max_length) return "is longer than " + std::to_string(max_length) + " characters";
        for (const char ch : v)
            if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return "contains a control character";
        c.*field = std::string(v);
        return {};
    };
}

Setter path_key(std::string Config::*field) {
    return [field](std::string_view v, Config& c) -> std::string {
        if (v.empty() || v.front() != '/') return "must be an absolute path";
        if (v.size() > 4095) return "is too long";
        c.*field = std::string(v);
        return {};
    };
}

Setter number_key(unsigned Config::*field, unsigned lo, unsigned hi) {
    return [field, lo, hi](std::string_view v, Config& c) -> std::string {
        const auto n = parse_unsigned(v, lo, hi);
        if (!n) return "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
        c.*field = *n;
        return {};
    };
}

Setter duration_key(std::chrono::seconds Config::*field, std::chrono::seconds lo, std::chrono::seconds hi) {
    return [field, lo, hi](std::string_view v, Config& c) -> std::string {
        const auto d = parse_duration(v);
        if (!d || *d < lo || *d > hi)
            return "must be a duration like 30s, 5m, 72h or 2d, from " + std::to_string(lo.count()) +
                   "s to " + std::to_string(hi.count()) + "s";
        c.*field = *d;
        return {};
    };
}

// 0 (keep for ever) or at least a day: a shorter retention would lose the log of a weekend.
Setter retention_key() {
    return [](std::string_view v, Config& c) -> std::string {
        using namespace std::chrono_literals;
        const auto d = parse_duration(v);
        if (!d || (d->count() != 0 && (*d < 24h || *d > 36500 * 24h)))
            return "must be 0 (keep for ever) or a duration like 180d from 1d to 36500d";
        c.audit_retention = *d;
        return {};
    };
}

Setter networks_key() {
    return [](std::string_view v, Config& c) -> std::string {
        std::string error;
        auto networks = parse_network_list(v, error);
        if (!networks) return error;
        c.exempt_networks = std::move(*networks);
        return {};
    };
}

Setter groups_key() {
    return [](std::string_view v, Config& c) -> std::string {
        std::vector<std::string> groups;
        while (!v.empty()) {
            const auto comma = v.find(',');
            const auto name = trim(v.substr(0, comma));
            v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
            if (name.empty()) return "has an empty group name";
            if (name.size() > 256 || name.find_first_of(" \t:") != std::string_view::npos)
                return "has an invalid group name '" + std::string(name) + "'";
            groups.emplace_back(name);
        }
        c.exempt_groups = std::move(groups);
        return {};
    };
}

Setter storage_key() {
    return [](std::string_view v, Config& c) -> std::string {
        if (v == "sqlite") {
            c.storage.clear();
            return {};
        }
        if (!looks_like_pg_conninfo(v))
            return "must be sqlite, a postgresql:// URL or a libpq key=value connection string";
        if (v.size() > 4096) return "is too long";
        if (auto why = check_pg_conninfo(std::string(v)); !why.empty()) return why;
        c.storage = std::string(v);
        return {};
    };
}

Setter unenrolled_key() {
    return [](std::string_view v, Config& c) -> std::string {
        if (v == "deny") c.unenrolled = UnenrolledPolicy::Deny;
        else if (v == "allow") c.unenrolled = UnenrolledPolicy::Allow;
        else if (v == "enroll") c.unenrolled = UnenrolledPolicy::Enroll;
        else return "must be deny, allow or enroll";
        return {};
    };
}

Setter date_key(std::int64_t Config::*field) {
    return [field](std::string_view v, Config& c) -> std::string {
        const auto t = parse_until(v);
        if (!t) return "must be a date like 2026-12-31 or 2026-12-31 18:00 (local time)";
        c.*field = *t;
        return {};
    };
}

const std::map<std::string, Setter, std::less<>>& setters() {
    using namespace std::chrono_literals;
    static const std::map<std::string, Setter, std::less<>> table = {
        {"socket", path_key(&Config::socket_path)},
        {"state_dir", path_key(&Config::state_dir)},
        {"database", path_key(&Config::database)},
        {"master_key", path_key(&Config::master_key)},
        {"storage", storage_key()},
        {"storage_password_file", path_key(&Config::storage_password_file)},
        {"issuer", text_key(&Config::issuer, 64, false)},
        {"prompt", text_key(&Config::prompt, 200, false)},
        {"contact", text_key(&Config::contact, 200, false)},
        {"admin_group", text_key(&Config::admin_group, 64, false)},
        {"lockout_threshold", number_key(&Config::lockout_threshold, 1, 100)},
        {"lockout_duration", duration_key(&Config::lockout_duration, 0s, 3650 * 24h)},
        {"window", number_key(&Config::window, 0, 10)},
        {"hotp_look_ahead", number_key(&Config::hotp_look_ahead, 1, 100)},
        {"max_connections_per_uid", number_key(&Config::max_connections_per_uid, 1, 1000)},
        {"io_timeout", duration_key(&Config::io_timeout, 1s, 300s)},
        {"answer_timeout", duration_key(&Config::answer_timeout, 5s, 3600s)},
        {"exempt_networks", networks_key()},
        {"exempt_groups", groups_key()},
        {"grace_period", duration_key(&Config::grace_period, 0s, 24h)},
        {"unenrolled", unenrolled_key()},
        {"unenrolled_allow_until", date_key(&Config::unenrolled_allow_until)},
        {"audit_retention", retention_key()},
        {"host_failure_limit", number_key(&Config::host_failure_limit, 0, 10000)},
        {"host_failure_window", duration_key(&Config::host_failure_window, 1s, 24h)},
        {"uid_request_rate", number_key(&Config::uid_request_rate, 0, 10000)},
        {"uid_request_burst", number_key(&Config::uid_request_burst, 1, 10000)},
    };
    return table;
}

}  // namespace

std::string Config::database_path() const { return database.empty() ? state_dir + "/kotp.db" : database; }

std::string Config::master_key_path() const {
    return master_key.empty() ? state_dir + "/master.key" : master_key;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    text = trim(text);
    if (text.empty()) return std::nullopt;
    std::int64_t unit = 1;
    switch (text.back()) {
        case 's': unit = 1; text.remove_suffix(1); break;
        case 'm': unit = 60; text.remove_suffix(1); break;
        case 'h': unit = 3600; text.remove_suffix(1); break;
        case 'd': unit = 86400; text.remove_suffix(1); break;
        default: break;
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 0 ||
        value > (std::int64_t{1} << 40) / unit)
        return std::nullopt;
    return std::chrono::seconds(value * unit);
}

std::optional<ConfigError> parse_config(std::string_view text, std::string_view origin, Config& config) {
    std::set<std::string, std::less<>> seen;
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        const auto where = std::string(origin) + ":" + std::to_string(line_number) + ": ";
        if (line.find('\0') != std::string_view::npos) return ConfigError{where + "NUL byte in line"};
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        const auto eq = line.find('=');
        if (eq == std::string_view::npos)
            return ConfigError{where + "expected 'key = value', got '" + std::string(line) + "'"};
        const auto key = trim(line.substr(0, eq));
        auto value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);  // quotes keep a trailing space in a prompt
        const auto it = setters().find(key);
        if (it == setters().end()) return ConfigError{where + "unknown key '" + std::string(key) + "'"};
        if (!seen.insert(std::string(key)).second)
            return ConfigError{where + "key '" + std::string(key) + "' is set twice"};
        if (auto problem = it->second(value, config); !problem.empty())
            return ConfigError{where + std::string(key) + " " + problem};
    }
    return std::nullopt;
}

std::optional<ConfigError> load_config_file(const std::string& path, bool required, Config& config) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT && !required) return std::nullopt;
        return ConfigError{path + ": cannot open: " + std::strerror(errno)};
    }
    struct stat st {};
    std::string text;
    std::optional<ConfigError> error;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        error = ConfigError{path + ": not a regular file"};
    } else if (st.st_size > static_cast<off_t>(kMaxConfigSize)) {
        error = ConfigError{path + ": larger than 64 KiB"};
    } else {
        text.resize(static_cast<std::size_t>(st.st_size));
        std::size_t got = 0;
        while (got < text.size()) {
            const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        text.resize(got);
    }
    ::close(fd);
    if (error) return error;
    return parse_config(text, path, config);
}

}  // namespace kotp::otpd
