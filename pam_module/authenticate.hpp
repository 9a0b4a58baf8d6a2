// pam_sm_authenticate's work, outside the C entry point: read the module arguments and the PAM
// items, then run the login exchange with otpd.
#pragma once

#include <security/pam_modules.h>

namespace kotp::pam {

// Returns a PAM return code. May throw (std::bad_alloc); the entry point catches everything.
int authenticate(pam_handle_t* pamh, int flags, int argc, const char** argv);

}  // namespace kotp::pam
