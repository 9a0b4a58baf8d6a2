// The load generator's exact model of every user's token in otpd, and the reply otpd must give
// to a code. It mirrors otpd/code_match.cpp (match_hotp, match_totp) and the parts of
// otpd/verifier.cpp that a login with an imported token reaches (begin, on_code, count_failure):
//
//   HOTP, next counter c: the code of c, c+1 ... c+look_ahead (the first that matches) is
//     accepted and c becomes that counter + 1; else the code of c-1 ... c-10 is a replay
//     (KS1004, no failure counted); else it is wrong (KS1003, a failure counted).
//   TOTP, last accepted step L, real step r (drift stays 0: every accepted step is within the
//     window): the steps r+window ... r-window, newest first, the first above L that matches is
//     accepted; one at or below L is a replay; else a match within r-10 ... r+10 is clock skew
//     (KS1006, counted); else wrong (counted).
//   A counted failure that reaches lockout_threshold suspends (KS1005); a suspended user is
//   refused at AuthBegin. An accepted code resets the count.
//
// A right HOTP code is the code of c itself, so it is always accepted at c even when its value
// also belongs to a later counter; a replayed code whose value belongs to a counter in the
// look-ahead is accepted there, and the model predicts exactly that.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "fast_hotp.hpp"
#include "kotp/wire.hpp"
#include "rng.hpp"

namespace kotp::bench {

// The otpd.conf settings the model depends on (kotp-load writes them) and otpd's constants.
struct OtpdRules {
    unsigned lockout_threshold = 5;
    unsigned hotp_look_ahead = 10;
    unsigned window = 1;
    std::int64_t hotp_replay_depth = 10;  // code_match.hpp kHotpReplayDepth
    std::int64_t skew_steps = 10;         // code_match.hpp kSkewSteps
};

struct UserModel {
    std::int64_t position = 0;   // HOTP: the next counter otpd accepts; TOTP: last accepted step, -1 none
    std::uint8_t failures = 0;   // consecutive counted failures
    bool retired = false;        // an exchange failed or differed: otpd's state is no longer known
};

// What otpd must reply, and the user's state after it.
struct Expected {
    wire::Outcome outcome = wire::Outcome::Failure;
    wire::Status status = wire::Status::InternalError;
    std::uint8_t attempts_left = 0;
    UserModel after;
};

// The codes of one user's token, computed with one FastHotp per thread that is keyed only when
// the user changes.
class UserCodes {
public:
    // `secrets`: kSecretSize bytes per user, user i at i * kSecretSize.
    explicit UserCodes(std::span<const std::uint8_t> secrets) : secrets_(secrets) {}
    std::uint32_t code(std::uint32_t user, std::uint64_t counter);
    FastHotp& hotp() { return hotp_; }

private:
    FastHotp hotp_;
    std::span<const std::uint8_t> secrets_;
    std::int64_t keyed_ = -1;
};

inline constexpr std::size_t kSecretSize = 20;  // 160 bits, the RFC 4226 recommendation for SHA-1

// One user's codes around a centre (HOTP counter or TOTP step), each computed at most once per
// exchange: choosing a wrong code and predicting the reply look at the same positions.
class CodeWindow {
public:
    static constexpr std::int64_t kReach = 32;
    CodeWindow() = default;
    void reset(UserCodes& codes, std::uint32_t user, std::int64_t centre);
    // position >= 0 and within kReach of the centre (throws std::logic_error otherwise).
    std::uint32_t at(std::int64_t position);

private:
    UserCodes* codes_ = nullptr;
    std::uint32_t user_ = 0;
    std::int64_t centre_ = 0;
    std::array<std::uint32_t, 2 * kReach> values_{};
    std::uint64_t have_ = 0;
};

// AuthBegin: a prompt for the code, or a refusal of a suspended user.
Expected expected_begin(const UserModel& user, const OtpdRules& rules);

// AuthAnswer with `code` (the window is centred on the user's next counter).
Expected expected_hotp(const UserModel& user, std::uint32_t code, CodeWindow& window, const OtpdRules& rules);

// AuthAnswer with `code` when otpd's clock is in step `real_step`.
Expected expected_totp(const UserModel& user, std::uint32_t code, std::int64_t real_step, CodeWindow& window,
                       const OtpdRules& rules);

// A random code that is the code of no position from `first` to `last` (clamped at 0).
std::uint32_t wrong_code(Rng& rng, CodeWindow& window, std::int64_t first, std::int64_t last);

}  // namespace kotp::bench
