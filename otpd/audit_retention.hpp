// The retention of the audit table (audit_retention in otpd.conf): rows older than that are
// deleted at start and once a day, each purge in its own transaction and logged with its count.
#pragma once

#include <chrono>
#include <cstdint>

#include "environment.hpp"
#include "store.hpp"

namespace kotp::otpd {

// Deletes the audit rows older than now - retention (nothing when retention is 0) and logs how
// many were removed. Returns that number; a storage failure is logged and returns -1.
std::int64_t purge_expired_audit(Store& store, const Clock& clock, std::chrono::seconds retention) noexcept;

}  // namespace kotp::otpd
