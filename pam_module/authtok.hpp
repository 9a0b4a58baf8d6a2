// PAM_AUTHTOK, the password that modules of one auth stack pass on to each other. libpam drops
// it at the start and the end of every pam_authenticate, so what is found here was set by an
// earlier module of the same stack (pam_unix, or sshd's password authentication through it).
#pragma once

#include <security/pam_modules.h>

#include <string>

namespace kotp::pam {

// True, with the password in `out`, when an earlier module set PAM_AUTHTOK; false when none is
// set. The caller owns `out` and must wipe it.
bool read_authtok(pam_handle_t* pamh, std::string& out);

// Sets PAM_AUTHTOK for the modules after this one (libpam keeps its own copy and wipes it).
// Returns the PAM code of pam_set_item.
int set_authtok(pam_handle_t* pamh, const std::string& password);

}  // namespace kotp::pam
