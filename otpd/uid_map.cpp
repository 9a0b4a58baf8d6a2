#include "uid_map.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace kotp::otpd {
namespace {

constexpr std::uint64_t kAllUids = 4294967295ULL;  // the kernel's full range, as uid_map writes it

bool next_number(std::string_view& text, std::uint64_t& value) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    const char* begin = text.data();
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr == begin) return false;
    text.remove_prefix(static_cast<std::size_t>(ptr - begin));
    return true;
}

}  // namespace

std::optional<UidMapSummary> summarize_uid_map(std::string_view contents) {
    UidMapSummary summary;
    unsigned lines = 0;
    bool identity_line = false;
    while (!contents.empty()) {
        const auto eol = contents.find('\n');
        std::string_view line = contents.substr(0, eol);
        contents.remove_prefix(eol == std::string_view::npos ? contents.size() : eol + 1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        std::uint64_t inside = 0, outside = 0, count = 0;
        if (!next_number(line, inside) || !next_number(line, outside) || !next_number(line, count)) return std::nullopt;
        if (line.find_first_not_of(" \t") != std::string_view::npos) return std::nullopt;
        if (count > kAllUids) return std::nullopt;
        ++lines;
        summary.mapped += count;
        identity_line = inside == 0 && outside == 0 && count == kAllUids;
    }
    if (lines == 0) return std::nullopt;
    summary.identity = lines == 1 && identity_line;
    return summary;
}

std::string uid_map_warning(const std::string& uid_map_path) {
    std::ifstream in(uid_map_path);
    if (!in) return {};
    std::ostringstream contents;
    contents << in.rdbuf();
    const auto summary = summarize_uid_map(contents.str());
    if (!summary) return "cannot parse " + uid_map_path + "; callers' uids may not be what they seem";
    if (summary->identity) return {};
    return "otpd runs in a user namespace that maps " + std::to_string(summary->mapped) +
           " uid(s) (PrivateUsers=?): every other caller reads as the overflow uid (nobody) and is "
           "refused, so users cannot run kotp and members of the admin group cannot run kotp-admin; "
           "run otpd without PrivateUsers=";
}

}  // namespace kotp::otpd
