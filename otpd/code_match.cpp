#include "code_match.hpp"

#include <algorithm>
#include <functional>
#include <vector>

#include "kotp/ct_compare.hpp"
#include "kotp/otp.hpp"

namespace kotp::otpd {
namespace {

bool code_at(otp::Hotp& hotp, std::uint64_t counter, std::string_view code) {
    return ct_equal(hotp.code(counter), code);
}

Match match_totp(const TokenRecord& token, otp::Hotp& hotp, std::int64_t now, std::string_view code,
                 const MatchRules& rules) {
    const auto real = static_cast<std::int64_t>(otp::totp_step(now, token.period));
    const auto window = static_cast<std::int64_t>(rules.window);
    // The window around the real step is always searched (the code being typed when the step
    // changes still works); a token's learned drift adds the window around real + drift.
    std::vector<std::int64_t> steps;
    for (const std::int64_t centre : {real, real + token.drift})
        for (std::int64_t d = -window; d <= window; ++d) steps.push_back(centre + d);
    std::sort(steps.begin(), steps.end(), std::greater<>());  // newest first: a fresh step wins
    steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
    Match replay;
    for (const std::int64_t step : steps) {
        if (step < 0 || !code_at(hotp, static_cast<std::uint64_t>(step), code)) continue;
        if (step > token.last_step) return {MatchKind::Accepted, step, step - real};
        if (replay.kind == MatchKind::NoMatch) replay = {MatchKind::Replay, step, step - real};
    }
    if (replay.kind != MatchKind::NoMatch) return replay;
    for (std::int64_t distance = 1; distance <= kSkewSteps; ++distance) {
        for (const std::int64_t step : {real - distance, real + distance}) {
            if (step < 0 || std::find(steps.begin(), steps.end(), step) != steps.end()) continue;
            if (code_at(hotp, static_cast<std::uint64_t>(step), code))
                return {MatchKind::Skewed, step, step - real};
        }
    }
    return {};
}

Match match_hotp(const TokenRecord& token, otp::Hotp& hotp, std::string_view code, const MatchRules& rules) {
    for (std::uint64_t i = 0; i <= rules.hotp_look_ahead; ++i) {
        const std::uint64_t counter = token.counter + i;
        if (code_at(hotp, counter, code))
            return {MatchKind::Accepted, static_cast<std::int64_t>(counter), static_cast<std::int64_t>(i)};
    }
    for (std::uint64_t back = 1; back <= kHotpReplayDepth && back <= token.counter; ++back) {
        const std::uint64_t counter = token.counter - back;
        if (code_at(hotp, counter, code))
            return {MatchKind::Replay, static_cast<std::int64_t>(counter), -static_cast<std::int64_t>(back)};
    }
    return {};
}

}  // namespace

Match match_code(const TokenRecord& token, std::span<const std::uint8_t> secret, std::int64_t now,
                 std::string_view code, const MatchRules& rules) {
    if (code.size() != token.digits) return {};
    otp::Hotp hotp(secret, token.algorithm, static_cast<int>(token.digits));  // keyed once for every counter tried
    return token.type == wire::TokenType::Hotp ? match_hotp(token, hotp, code, rules)
                                               : match_totp(token, hotp, now, code, rules);
}

std::string normalize_code(std::string_view typed) {
    std::string code;
    for (const char ch : typed) {
        if (ch == ' ') continue;
        if (ch < '0' || ch > '9' || code.size() >= 8) return {};
        code.push_back(ch);
    }
    return code.size() >= 6 ? code : std::string();
}

}  // namespace kotp::otpd

namespace kotp::otpd {

std::optional<std::int64_t> find_consecutive(const TokenRecord& token, std::span<const std::uint8_t> secret,
                                             std::int64_t now, std::string_view code1, std::string_view code2) {
    if (code1.size() != token.digits || code2.size() != token.digits) return std::nullopt;
    otp::Hotp hotp(secret, token.algorithm, static_cast<int>(token.digits));
    std::int64_t first = 0;
    std::int64_t last = 0;
    if (token.type == wire::TokenType::Hotp) {
        first = static_cast<std::int64_t>(token.counter);
        last = first + static_cast<std::int64_t>(kResyncHotpLookAhead);
    } else {
        const auto real = static_cast<std::int64_t>(otp::totp_step(now, token.period));
        first = std::max<std::int64_t>(0, real - kResyncSteps);
        last = real + kResyncSteps;
    }
    for (std::int64_t p = first; p <= last; ++p)
        if (code_at(hotp, static_cast<std::uint64_t>(p), code1) &&
            code_at(hotp, static_cast<std::uint64_t>(p + 1), code2))
            return p + 1;
    return std::nullopt;
}

}  // namespace kotp::otpd
