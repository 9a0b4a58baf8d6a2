// SIGINT and SIGTERM end a kotp-load run in order: the load stops, otpd is stopped by its PID,
// the report says the run was interrupted.
#pragma once

namespace kotp::bench {

void catch_interrupts();
// The signal that asked kotp-load to stop, or 0.
int interrupted() noexcept;

}  // namespace kotp::bench
