// Who is logging in, where from and through what: the PAM items the module sends to otpd in
// AuthBegin and names in every log line.
#pragma once

#include <string>

namespace kotp::pam {

struct LoginRequest {
    std::string user;     // PAM_USER
    std::string service;  // PAM_SERVICE
    std::string rhost;    // PAM_RHOST, "" for a local login
    std::string tty;      // PAM_TTY, "" when the application sets none
};

}  // namespace kotp::pam
