#include "kotp/status.hpp"

namespace kotp {

StatusText describe(wire::Status status) noexcept {
    using S = wire::Status;
    switch (status) {
        case S::Ok: return {"KS0000", "Success.", "Nothing to do."};
        case S::Exempt:
            return {"KS0001", "No code needed: this login is exempt (network, group or user).",
                    "Nothing to do."};
        case S::Grace:
            return {"KS0002", "No code needed: a code was accepted from this host shortly before.",
                    "Nothing to do."};
        case S::UnenrolledAllowed:
            return {"KS0003", "Let in without a one-time password during the rollout.",
                    "Enrol before the rollout ends: ask your system administrator for an activation code."};
        case S::NotEnrolled:
            return {"KS1001", "You have not registered a one-time-password token.",
                    "Ask your system administrator for an activation code or enrolment."};
        case S::ActivationFailed:
            return {"KS1002", "The activation code is wrong, expired or already used.",
                    "Check the code, or ask your system administrator for a new one."};
        case S::WrongCode:
            return {"KS1003", "The verification code is wrong.",
                    "Type the code your authenticator app shows now."};
        case S::CodeAlreadyUsed:
            return {"KS1004", "This code has already been used.",
                    "Wait for your app to show the next code and type that one."};
        case S::Suspended:
            return {"KS1005", "Your one-time password is suspended.",
                    "Contact your system administrator to have it unlocked."};
        case S::ClockSkew:
            return {"KS1006", "The code belongs to a different time: your device's clock looks wrong.",
                    "Set your phone or PC to automatic network time and try again."};
        case S::BadCodeFormat:
            return {"KS1007", "The verification code must be 6 or 8 digits.",
                    "Type only the digits your authenticator app shows."};
        case S::PermissionDenied:
            return {"KS1008", "Permission denied for this request.",
                    "Run it as root or as a member of the kotp-admin group."};
        case S::UnknownUser:
            return {"KS1009", "No such user is enrolled in kotp.",
                    "Check the name with 'kotp-admin list'."};
        case S::InternalError:
            return {"KS1010", "The OTP service could not read or record its state.",
                    "Try again later; administrators: see otpd's log."};
        case S::ProtocolError:
            return {"KS1011", "Malformed or unexpected request.",
                    "Use matching versions of pam_kotp, kotp-admin and otpd."};
        case S::Busy:
            return {"KS1012", "Too many connections to the OTP service from this user.",
                    "Close other sessions or try again in a moment."};
        case S::TokenLimit:
            return {"KS1013", "This user already has the maximum of 10 tokens.",
                    "Remove or reset the user's tokens first."};
        case S::InvalidArgument:
            return {"KS1014", "Invalid value in the request.", "See kotp-admin --help."};
        case S::HostThrottled:
            return {"KS1015", "Too many failed attempts from your address.",
                    "Wait a minute and try again; your one-time password itself is not suspended."};
        case S::RequestLimit:
            return {"KS1016", "Too many requests to the OTP service from this user.",
                    "Wait a few seconds and try again."};
        case S::ServiceUnavailable:
            return {"KC2001", "The OTP service is unavailable.",
                    "Try again in a minute; if it persists, contact your system administrator."};
        case S::UntrustedSocket:
            return {"KC2002", "The OTP service socket is not owned by root or _otpd.",
                    "Administrators: check the socket path and otpd's user."};
        case S::ConversationFailed:
            return {"KC2003", "The login program could not ask for the verification code.",
                    "Use a client that supports keyboard-interactive prompts."};
    }
    return {"KS9999", "Unknown status.", "Upgrade kotp."};
}

std::string status_line(wire::Status status) {
    const StatusText t = describe(status);
    return std::string(t.id) + ": " + t.cause;
}

}  // namespace kotp
