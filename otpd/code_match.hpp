// Matching a typed code against one token, without touching state: the verifier decides what to
// record. Pure functions of (token, secret, time, code), so the rules are tested directly.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "store.hpp"

namespace kotp::otpd {

enum class MatchKind {
    NoMatch,   // the code is no code of this token anywhere near now
    Accepted,  // valid, and newer than anything accepted before: `position` is to be recorded
    Replay,    // valid for a step (counter) at or below the last accepted one
    Skewed,    // valid only for a step outside the window but within kSkewSteps: a wrong clock
};

struct Match {
    MatchKind kind = MatchKind::NoMatch;
    std::int64_t position = 0;  // TOTP: the time step; HOTP: the counter value that matched
    std::int64_t offset = 0;    // TOTP: position - the real current step (the learned drift)
};

// How far from now (in steps) a code is still recognised as "your clock is wrong".
inline constexpr std::int64_t kSkewSteps = 10;
// How many HOTP counters below the next one are recognised as "already used".
inline constexpr std::uint64_t kHotpReplayDepth = 10;

struct MatchRules {
    unsigned window = 1;           // TOTP steps either side of now (+ drift)
    unsigned hotp_look_ahead = 10; // HOTP counters at and after token.counter
};

Match match_code(const TokenRecord& token, std::span<const std::uint8_t> secret, std::int64_t now,
                 std::string_view code, const MatchRules& rules);

// Resync: how far from now (TOTP steps) and ahead of the counter (HOTP) two consecutive codes
// are searched for.
inline constexpr std::int64_t kResyncSteps = 60;
inline constexpr std::uint64_t kResyncHotpLookAhead = 100;

// The position (TOTP step or HOTP counter) of code2 when code1 and code2 are consecutive codes of
// the token within the resync range; nullopt otherwise.
std::optional<std::int64_t> find_consecutive(const TokenRecord& token, std::span<const std::uint8_t> secret,
                                             std::int64_t now, std::string_view code1, std::string_view code2);

// Removes the spaces people copy from apps ("123 456"); returns "" unless the rest is 6 to 8
// ASCII digits.
std::string normalize_code(std::string_view typed);

}  // namespace kotp::otpd
