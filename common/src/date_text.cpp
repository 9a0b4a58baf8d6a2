#include "kotp/date_text.hpp"

#include <charconv>
#include <ctime>

namespace kotp {
namespace {

bool number(std::string_view text, std::size_t pos, std::size_t len, int lo, int hi, int& out) {
    if (pos + len > text.size()) return false;
    const char* begin = text.data() + pos;
    const auto [end, ec] = std::from_chars(begin, begin + len, out);
    return ec == std::errc{} && end == begin + len && out >= lo && out <= hi;
}

}  // namespace

std::optional<std::int64_t> parse_until(std::string_view text) {
    if (!text.empty() && text.front() == '@') {
        std::int64_t value = 0;
        const auto digits = text.substr(1);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || value <= 0)
            return std::nullopt;
        return value;
    }
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (text.size() < 10 || text[4] != '-' || text[7] != '-' || !number(text, 0, 4, 1970, 9999, year) ||
        !number(text, 5, 2, 1, 12, month) || !number(text, 8, 2, 1, 31, day))
        return std::nullopt;
    bool whole_day = true;
    if (text.size() > 10) {
        if ((text[10] != ' ' && text[10] != 'T') || text.size() < 16 || text[13] != ':' ||
            !number(text, 11, 2, 0, 23, hour) || !number(text, 14, 2, 0, 59, minute))
            return std::nullopt;
        if (text.size() == 19) {
            if (text[16] != ':' || !number(text, 17, 2, 0, 59, second)) return std::nullopt;
        } else if (text.size() != 16) {
            return std::nullopt;
        }
        whole_day = false;
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    tm.tm_isdst = -1;
    std::tm check = tm;
    const std::time_t t = std::mktime(&check);
    // mktime normalises 2026-02-30 into March: such a date does not exist.
    if (t == static_cast<std::time_t>(-1) || check.tm_mday != day || check.tm_mon != month - 1) return std::nullopt;
    if (!whole_day) return static_cast<std::int64_t>(t);
    tm.tm_mday += 1;  // the end of the day is the next local midnight (DST-safe through mktime)
    tm.tm_isdst = -1;
    return static_cast<std::int64_t>(std::mktime(&tm));
}

std::string format_local_time(std::int64_t unix_time) {
    const auto t = static_cast<std::time_t>(unix_time);
    std::tm tm{};
    if (localtime_r(&t, &tm) == nullptr) return "@" + std::to_string(unix_time);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

}  // namespace kotp
