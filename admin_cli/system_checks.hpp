// The host side of the second factor: otpd's socket (there, a socket, owned by root or _otpd,
// answering) and the kernel clock (TOTP codes are only as right as the clock).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "doctor_finding.hpp"

namespace kotp::admin {

// `where_from` says where the path came from, for the finding ("--socket", "socket= of
// pam_kotp.so at FILE:LINE"); empty for the default.
Findings check_otpd_socket(const std::string& path, std::chrono::milliseconds timeout,
                           const std::string& where_from = "");

// What ntp_adjtime() reported: its return value (TIME_OK, TIME_ERROR...; -1 on error), the
// status bits (STA_UNSYNC...) and errno when it failed.
struct KernelClockState {
    int result = 0;
    int status = 0;
    int error = 0;
};

// ntp_adjtime() with no change requested: only reads the kernel's state.
KernelClockState read_kernel_clock();

using ClockReader = std::function<KernelClockState()>;

Findings check_kernel_clock(const KernelClockState& state);

}  // namespace kotp::admin
