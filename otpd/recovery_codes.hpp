// Recovery codes: ten one-time codes per user, accepted at the code prompt in place of a code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "environment.hpp"
#include "store.hpp"

namespace kotp::otpd {

// Makes a new set for the user inside the caller's transaction, replacing every earlier code.
// Returns the codes in clear, to be shown once; throws StoreError if hashing or random fails.
std::vector<std::string> make_recovery_codes(Store& store, RandomSource& random, std::int64_t user_id);

// "Your recovery codes ..." followed by the codes, one per line.
std::string recovery_codes_text(const std::vector<std::string>& codes);

}  // namespace kotp::otpd
