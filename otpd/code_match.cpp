#include "code_match.hpp"

#include "kotp/ct_compare.hpp"
#include "kotp/otp.hpp"

namespace kotp::otpd {
namespace {

bool code_at(const TokenRecord& token, std::span<const std::uint8_t> secret, std::uint64_t counter,
             std::string_view code) {
    return ct_equal(otp::hotp(secret, counter, token.algorithm, static_cast<int>(token.digits)), code);
}

Match match_totp(const TokenRecord& token, std::span<const std::uint8_t> secret, std::int64_t now,
                 std::string_view code, const MatchRules& rules) {
    const auto current = static_cast<std::int64_t>(otp::totp_step(now, token.period)) + token.drift;
    const auto window = static_cast<std::int64_t>(rules.window);
    Match replay;
    // Newest first, so a fresh step wins over an older one that happens to show the same code.
    for (std::int64_t d = window; d >= -window; --d) {
        const std::int64_t step = current + d;
        if (step < 0 || !code_at(token, secret, static_cast<std::uint64_t>(step), code)) continue;
        if (step > token.last_step) return {MatchKind::Accepted, step, d};
        if (replay.kind == MatchKind::NoMatch) replay = {MatchKind::Replay, step, d};
    }
    if (replay.kind != MatchKind::NoMatch) return replay;
    for (std::int64_t distance = window + 1; distance <= kSkewSteps; ++distance) {
        for (const std::int64_t d : {-distance, distance}) {
            const std::int64_t step = current + d;
            if (step >= 0 && code_at(token, secret, static_cast<std::uint64_t>(step), code))
                return {MatchKind::Skewed, step, d};
        }
    }
    return {};
}

Match match_hotp(const TokenRecord& token, std::span<const std::uint8_t> secret, std::string_view code,
                 const MatchRules& rules) {
    for (std::uint64_t i = 0; i <= rules.hotp_look_ahead; ++i) {
        const std::uint64_t counter = token.counter + i;
        if (code_at(token, secret, counter, code))
            return {MatchKind::Accepted, static_cast<std::int64_t>(counter), static_cast<std::int64_t>(i)};
    }
    for (std::uint64_t back = 1; back <= kHotpReplayDepth && back <= token.counter; ++back) {
        const std::uint64_t counter = token.counter - back;
        if (code_at(token, secret, counter, code))
            return {MatchKind::Replay, static_cast<std::int64_t>(counter), -static_cast<std::int64_t>(back)};
    }
    return {};
}

}  // namespace

Match match_code(const TokenRecord& token, std::span<const std::uint8_t> secret, std::int64_t now,
                 std::string_view code, const MatchRules& rules) {
    if (code.size() != token.digits) return {};
    return token.type == wire::TokenType::Hotp ? match_hotp(token, secret, code, rules)
                                               : match_totp(token, secret, now, code, rules);
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
