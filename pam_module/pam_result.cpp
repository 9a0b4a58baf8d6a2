#include "pam_result.hpp"

#include <security/pam_modules.h>

#include <cstdint>

#include "kotp/status.hpp"

namespace kotp::pam {

int pam_code_for(wire::Status status) noexcept {
    using S = wire::Status;
    switch (status) {
        case S::Ok:
            return PAM_SUCCESS;
        case S::WrongCode:
        case S::CodeAlreadyUsed:
        case S::ClockSkew:
        case S::BadCodeFormat:
        case S::NotEnrolled:
        case S::ActivationFailed:
        case S::PermissionDenied:
        case S::UnknownUser:
        case S::HostThrottled:
            return PAM_AUTH_ERR;
        case S::Suspended:
            return PAM_MAXTRIES;
        case S::ServiceUnavailable:
        case S::InternalError:
        case S::ProtocolError:
        case S::Busy:
        case S::RequestLimit:
        case S::UntrustedSocket:
            return PAM_AUTHINFO_UNAVAIL;
        case S::ConversationFailed:
            return PAM_CONV_ERR;
        case S::TokenLimit:
        case S::InvalidArgument:
        // Successes without a code: only ever with Outcome::Success, never a refusal's status.
        case S::Exempt:
        case S::Grace:
        case S::UnenrolledAllowed:
            break;
    }
    return PAM_AUTH_ERR;  // a status this module does not know refuses the login
}

std::string standard_message(wire::Status status) {
    const StatusText t = describe(status);
    std::string out = t.id;
    out += ": ";
    out += t.cause;
    out += ' ';
    out += t.remedy;
    return out;
}

std::string user_message(wire::Status status, std::string_view text_from_otpd) {
    return terminal_safe(text_from_otpd.empty() ? std::string_view(standard_message(status))
                                                : text_from_otpd);
}

}  // namespace kotp::pam
