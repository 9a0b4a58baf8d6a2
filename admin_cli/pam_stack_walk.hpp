// Walks a flat auth stack the way libpam's _pam_dispatch_aux() does, for every combination of
// what the modules may return, and finds each way the stack can end in PAM_SUCCESS while no
// pam_kotp.so returned success. Reading the controls one by one misses jumps into and over
// lines, "done" inside substacks, "reset" and the like; walking them as libpam does cannot.
#pragma once

#include <cstddef>
#include <vector>

#include "pam_stack_reader.hpp"

namespace kotp::admin {

struct PamBypass {
    enum Kind {
        EndedBefore,     // a module's "done" (sufficient) ended the stack before pam_kotp.so
        JumpedOver,      // a module's jump skipped pam_kotp.so
        KotpIgnored,     // pam_kotp.so failed and its control went on (ignore, jump, reset)
        ResetAfterKotp,  // a later "reset" forgot that pam_kotp.so failed
    };
    Kind kind = EndedBefore;
    std::size_t by = 0;  // index of the module whose action let the login through
    PamResult result = PamResult::Success;  // what that module returned
    std::size_t kotp = 0;  // index of the pam_kotp.so line that was skipped or failed

    friend bool operator==(const PamBypass&, const PamBypass&) = default;
};

struct PamWalk {
    bool can_succeed = false;         // some path ends in PAM_SUCCESS
    std::vector<bool> reached;        // per module: run on some path
    std::vector<PamBypass> bypasses;  // distinct, in the order found
};

// What each module may return: pam_permit.so success, pam_deny.so auth_err, pam_kotp.so what it
// does return (success, auth_err, maxtries, authinfo_unavail, conv_err, user_unknown,
// service_err), any other module success, ignore, auth_err and every value its control names.
PamWalk walk_auth_stack(const std::vector<PamModule>& stack);

// The values pam_kotp.so returns when the login must not go on.
const std::vector<PamResult>& kotp_failures();

}  // namespace kotp::admin
