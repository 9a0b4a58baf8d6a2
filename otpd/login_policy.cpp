#include "login_policy.hpp"

#include "group_membership.hpp"
#include "kotp/date_text.hpp"
#include "network_match.hpp"

namespace kotp::otpd {

std::optional<Waiver> exemption_for(const std::string& user, const std::string& rhost, const Config& config,
                                    Store& store, std::int64_t now) {
    if (const auto* network = find_network(config.exempt_networks, rhost))
        return Waiver{wire::Status::Exempt, "exempt network " + network->text, {}};
    if (const auto group = first_group_of(user, config.exempt_groups))
        return Waiver{wire::Status::Exempt, "exempt group " + *group, {}};
    if (const auto exemption = store.find_exemption(user); exemption && exemption->until > now) {
        std::string detail = "exempt user until " + format_local_time(exemption->until);
        if (!exemption->reason.empty()) detail += ": " + exemption->reason;
        return Waiver{wire::Status::Exempt, detail, {}};
    }
    return std::nullopt;
}

std::optional<Waiver> grace_for(const UserRecord& user, const std::string& rhost, const Config& config,
                                Store& store, std::int64_t now) {
    if (config.grace_period.count() == 0 || rhost.empty() || user.state != wire::UserState::Active)
        return std::nullopt;
    const auto until = store.grace_until(user.id, rhost);
    if (until <= now) return std::nullopt;
    return Waiver{wire::Status::Grace, "grace after a code from this host, " + std::to_string(until - now) + "s left",
                  {}};
}

std::optional<Waiver> unenrolled_waiver(const Config& config, std::int64_t now) {
    if (config.unenrolled != UnenrolledPolicy::Allow) return std::nullopt;
    const auto until = config.unenrolled_allow_until;
    if (until != 0 && now >= until) return std::nullopt;
    const std::string when = until == 0 ? std::string() : " until " + format_local_time(until);
    return Waiver{wire::Status::UnenrolledAllowed, "no token, allowed during the rollout" + when,
                  "You have no one-time-password token yet. Logins without one are allowed" + when +
                      ". Enrol now: ask " + config.contact + " for an activation code, then run 'kotp enroll'."};
}

std::string unenrolled_refusal_text(const Config& config, std::int64_t now) {
    if (config.unenrolled == UnenrolledPolicy::Allow && config.unenrolled_allow_until != 0 &&
        now >= config.unenrolled_allow_until)
        return "Logins without a one-time-password token ended on " +
               format_local_time(config.unenrolled_allow_until) + ". Ask " + config.contact +
               " for an activation code.";
    return {};
}

}  // namespace kotp::otpd
