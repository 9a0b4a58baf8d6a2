// What in a PAM service's auth stack lets a login skip pam_kotp.so's code, never reach it, or
// refuses every login: pam_kotp.so missing, optional, jumped over, after a sufficient module;
// missing service or included files, include loops, lines libpam cannot use.
#pragma once

#include <string>
#include <vector>

#include "doctor_finding.hpp"
#include "pam_stack_reader.hpp"

namespace kotp::admin {

Findings check_pam_stack(const PamStack& stack);

// The auth stack in one line: "pam_unix.so [success=1 default=ignore], pam_deny.so requisite,
// pam_permit.so required, pam_kotp.so required".
std::string describe_auth_stack(const PamStack& stack);

// The socket= argument of each pam_kotp.so line, so that doctor checks the socket the module
// really uses.
struct KotpSocketArgument {
    std::string path;
    std::string where;
};
std::vector<KotpSocketArgument> kotp_socket_arguments(const PamStack& stack);

}  // namespace kotp::admin
