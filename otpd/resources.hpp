// otpd's descriptors and heap, set once at start so that hostile clients meet a known bound.
#pragma once

#include <string>

namespace kotp::otpd {

// systemd starts services with a soft RLIMIT_NOFILE of 1024 (and a hard one of 524288). Root's
// callers are never capped (their concurrency is the login storm itself), so 1,000 idle
// connections from sshd and login would otherwise exhaust it. otpd uses epoll, never select(),
// so a large limit costs nothing until descriptors are used. Raises the soft limit to the hard
// one, at most kMaxDescriptors; returns a line for the log, or "" when nothing changed.
std::string raise_descriptor_limit();

inline constexpr unsigned long kMaxDescriptors = 65536;

// Recovery and activation codes are hashed with scrypt (16 MiB of working memory). glibc's
// dynamic mmap threshold would move such blocks into the heap after the first free and keep up
// to twice that resident for ever; a fixed threshold of 1 MiB maps them on their own and gives
// them back on free, so otpd's resident size returns to its baseline after each hash.
void return_large_blocks();

inline constexpr int kMmapThreshold = 1 << 20;

}  // namespace kotp::otpd
