#include "interrupt.hpp"

#include <atomic>
#include <csignal>

namespace kotp::bench {
namespace {

std::atomic<int> g_signal{0};

extern "C" void on_signal(int signal_number) { g_signal.store(signal_number); }

}  // namespace

void catch_interrupts() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

int interrupted() noexcept { return g_signal.load(); }

}  // namespace kotp::bench
