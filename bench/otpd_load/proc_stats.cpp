#include "proc_stats.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kotp::bench {
namespace {

std::optional<std::string> read_proc_file(pid_t pid, const char* name) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + name);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

double seconds_of(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

// "VmHWM:	   12345 kB" -> MiB
std::optional<double> status_mib(const std::string& status, const std::string& key) {
    const auto at = status.find("\n" + key + ":");
    if (at == std::string::npos) return std::nullopt;
    const char* p = status.c_str() + at + key.size() + 2;
    char* end = nullptr;
    const double kib = std::strtod(p, &end);
    if (end == p) return std::nullopt;
    return kib / 1024.0;
}

struct ProcStat {
    pid_t parent = 0;
    CpuTimes own;       // utime, stime
    CpuTimes children;  // cutime, cstime: the ended children it reaped
};

std::optional<ProcStat> proc_stat(pid_t pid) {
    const auto stat = read_proc_file(pid, "stat");
    if (!stat) return std::nullopt;
    // The command name (field 2) is in parentheses and may contain anything: count from the last ')'.
    const auto paren = stat->rfind(')');
    if (paren == std::string::npos) return std::nullopt;
    std::istringstream fields(stat->substr(paren + 1));
    std::vector<std::string> f;
    for (std::string s; fields >> s && f.size() < 15;) f.push_back(s);
    if (f.size() < 15) return std::nullopt;
    // f[0] is field 3 (state), f[1] field 4 (ppid); utime, stime, cutime, cstime are fields 14-17.
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const auto seconds = [&](std::size_t i) { return std::strtod(f[i].c_str(), nullptr) / ticks; };
    return ProcStat{static_cast<pid_t>(std::strtol(f[1].c_str(), nullptr, 10)), {seconds(11), seconds(12)},
                    {seconds(13), seconds(14)}};
}

}  // namespace

std::optional<CpuTimes> process_cpu(pid_t pid) {
    const auto stat = proc_stat(pid);
    if (!stat) return std::nullopt;
    return stat->own;
}

std::optional<CpuTimes> process_tree_cpu(pid_t pid) {
    const auto root = proc_stat(pid);
    if (!root) return std::nullopt;
    CpuTimes total{root->own.user + root->children.user, root->own.sys + root->children.sys};
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); }))
            continue;
        const auto child = proc_stat(static_cast<pid_t>(std::strtol(name.c_str(), nullptr, 10)));
        if (!child || child->parent != pid) continue;  // gone meanwhile, or not a child
        total.user += child->own.user + child->children.user;
        total.sys += child->own.sys + child->children.sys;
    }
    return total;
}

CpuTimes own_cpu() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return {seconds_of(usage.ru_utime), seconds_of(usage.ru_stime)};
}

std::optional<MemoryUse> process_memory(pid_t pid) {
    const auto file = read_proc_file(pid, "status");
    if (!file) return std::nullopt;
    const std::string status = "\n" + *file;  // every key then follows a newline
    const auto peak = status_mib(status, "VmHWM");
    const auto rss = status_mib(status, "VmRSS");
    if (!peak || !rss) return std::nullopt;
    return MemoryUse{*peak, *rss};
}

bool reset_peak_memory(pid_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/clear_refs";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::write(fd, "5", 1) == 1;
    ::close(fd);
    return ok;
}

}  // namespace kotp::bench
