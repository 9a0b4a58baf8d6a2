#include "resources.hpp"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>

namespace kotp::otpd {

std::string raise_descriptor_limit() {
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
    const rlim_t wanted = std::min<rlim_t>(limit.rlim_max, kMaxDescriptors);
    if (limit.rlim_cur >= wanted) return {};
    const rlim_t before = limit.rlim_cur;
    limit.rlim_cur = wanted;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return {};
    return "descriptor limit raised from " + std::to_string(before) + " to " + std::to_string(wanted);
}

void return_large_blocks() { ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold); }

}  // namespace kotp::otpd
