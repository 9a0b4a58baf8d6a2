#include "token_model.hpp"

#include <algorithm>
#include <stdexcept>

namespace kotp::bench {
namespace {

Expected accepted(const UserModel& user, std::int64_t position_after) {
    Expected e;
    e.outcome = wire::Outcome::Success;
    e.status = wire::Status::Ok;
    e.after = user;
    e.after.position = position_after;
    e.after.failures = 0;
    return e;
}

Expected replay(const UserModel& user) {
    Expected e;
    e.outcome = wire::Outcome::Failure;
    e.status = wire::Status::CodeAlreadyUsed;
    e.after = user;
    return e;
}

// Verifier::count_failure.
Expected counted_failure(const UserModel& user, wire::Status status, const OtpdRules& rules) {
    Expected e;
    e.outcome = wire::Outcome::Failure;
    e.after = user;
    e.after.failures = static_cast<std::uint8_t>(std::min<unsigned>(user.failures + 1u, 255u));
    if (e.after.failures >= rules.lockout_threshold) {
        e.status = wire::Status::Suspended;
    } else {
        e.status = status;
        e.attempts_left = static_cast<std::uint8_t>(std::min(rules.lockout_threshold - e.after.failures, 255u));
    }
    return e;
}

}  // namespace

std::uint32_t UserCodes::code(std::uint32_t user, std::uint64_t counter) {
    if (keyed_ != static_cast<std::int64_t>(user)) {
        hotp_.set_key(secrets_.subspan(static_cast<std::size_t>(user) * kSecretSize, kSecretSize));
        keyed_ = user;
    }
    return hotp_.code(counter);
}

void CodeWindow::reset(UserCodes& codes, std::uint32_t user, std::int64_t centre) {
    codes_ = &codes;
    user_ = user;
    centre_ = centre;
    have_ = 0;
}

std::uint32_t CodeWindow::at(std::int64_t position) {
    const std::int64_t slot = position - centre_ + kReach;
    if (codes_ == nullptr || position < 0 || slot < 0 || slot >= 2 * kReach)
        throw std::logic_error("code position outside the model's window");
    const auto i = static_cast<std::size_t>(slot);
    const std::uint64_t bit = std::uint64_t{1} << i;
    if ((have_ & bit) == 0) {
        values_[i] = codes_->code(user_, static_cast<std::uint64_t>(position));
        have_ |= bit;
    }
    return values_[i];
}

Expected expected_begin(const UserModel& user, const OtpdRules& rules) {
    Expected e;
    e.after = user;
    if (user.failures >= rules.lockout_threshold) {
        e.outcome = wire::Outcome::Failure;
        e.status = wire::Status::Suspended;
    } else {
        e.outcome = wire::Outcome::Prompt;
        e.status = wire::Status::Ok;
    }
    return e;
}

Expected expected_hotp(const UserModel& user, std::uint32_t code, CodeWindow& window, const OtpdRules& rules) {
    if (user.failures >= rules.lockout_threshold) return expected_begin(user, rules);
    const std::int64_t next = user.position;
    for (std::int64_t i = 0; i <= static_cast<std::int64_t>(rules.hotp_look_ahead); ++i)
        if (window.at(next + i) == code) return accepted(user, next + i + 1);
    for (std::int64_t back = 1; back <= rules.hotp_replay_depth && back <= next; ++back)
        if (window.at(next - back) == code) return replay(user);
    return counted_failure(user, wire::Status::WrongCode, rules);
}

Expected expected_totp(const UserModel& user, std::uint32_t code, std::int64_t real_step, CodeWindow& window,
                       const OtpdRules& rules) {
    if (user.failures >= rules.lockout_threshold) return expected_begin(user, rules);
    const auto w = static_cast<std::int64_t>(rules.window);
    bool replayed = false;
    for (std::int64_t step = real_step + w; step >= real_step - w; --step) {
        if (step < 0 || window.at(step) != code) continue;
        if (step > user.position) return accepted(user, step);
        replayed = true;
    }
    if (replayed) return replay(user);
    for (std::int64_t distance = w + 1; distance <= rules.skew_steps; ++distance)
        for (const std::int64_t step : {real_step - distance, real_step + distance})
            if (step >= 0 && window.at(step) == code)
                return counted_failure(user, wire::Status::ClockSkew, rules);
    return counted_failure(user, wire::Status::WrongCode, rules);
}

std::uint32_t wrong_code(Rng& rng, CodeWindow& window, std::int64_t first, std::int64_t last) {
    first = std::max<std::int64_t>(first, 0);
    for (;;) {
        const std::uint32_t candidate = rng.below(kCodeModulus);
        bool taken = false;
        for (std::int64_t p = first; p <= last && !taken; ++p) taken = window.at(p) == candidate;
        if (!taken) return candidate;
    }
}

}  // namespace kotp::bench
