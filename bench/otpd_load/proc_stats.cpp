#include "proc_stats.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
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

}  // namespace

std::optional<CpuTimes> process_cpu(pid_t pid) {
    const auto stat = read_proc_file(pid, "stat");
    if (!stat) return std::nullopt;
    // The command name (field 2) is in parentheses and may contain anything: count from the last ')'.
    const auto paren = stat->rfind(')');
    if (paren == std::string::npos) return std::nullopt;
    std::istringstream fields(stat->substr(paren + 1));
    std::vector<std::string> f;
    for (std::string s; fields >> s && f.size() < 13;) f.push_back(s);
    if (f.size() < 13) return std::nullopt;
    // f[0] is field 3 (state): utime is field 14, stime field 15.
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return CpuTimes{std::strtod(f[11].c_str(), nullptr) / ticks, std::strtod(f[12].c_str(), nullptr) / ticks};
}

CpuTimes own_cpu() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return {seconds_of(usage.ru_utime), seconds_of(usage.ru_stime)};
}

std::optional<MemoryUse> process_memory(pid_t pid) {
    auto status = read_proc_file(pid, "status");
    if (!status) return std::nullopt;
    status->insert(0, "\n");
    const auto peak = status_mib(*status, "VmHWM");
    const auto rss = status_mib(*status, "VmRSS");
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
