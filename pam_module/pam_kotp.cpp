// pam_kotp.so: the PAM entry points and nothing else. The work is in authenticate.cpp; here
// every exception stops, so none crosses into the C application, and the module fails closed.
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

#include <new>

#include "authenticate.hpp"

#define KOTP_PAM_EXPORT __attribute__((visibility("default")))

extern "C" {

KOTP_PAM_EXPORT int pam_sm_authenticate(pam_handle_t* pamh, int flags, int argc,
                                        const char** argv) {
    int result = PAM_SERVICE_ERR;
    try {
        result = kotp::pam::authenticate(pamh, flags, argc, argv);
    } catch (const std::bad_alloc&) {
        pam_syslog(pamh, LOG_CRIT, "out of memory; login refused");
        result = PAM_BUF_ERR;
    } catch (...) {
        pam_syslog(pamh, LOG_CRIT, "internal error; login refused");
        result = PAM_SERVICE_ERR;
    }
    return result;
}

// kotp sets no credentials; the entry point exists because a module listed under `auth` is
// called for pam_setcred too.
KOTP_PAM_EXPORT int pam_sm_setcred(pam_handle_t* /*pamh*/, int /*flags*/, int /*argc*/,
                                   const char** /*argv*/) {
    return PAM_SUCCESS;
}

}  // extern "C"
