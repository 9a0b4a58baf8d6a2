// What in sshd's configuration lets an SSH login skip pam_kotp's code, or never reach it: UsePAM
// not yes, KbdInteractiveAuthentication no, AuthenticationMethods that let a single method in, and
// Match blocks that weaken these for some users.
#pragma once

#include "doctor_finding.hpp"
#include "sshd_config_reader.hpp"

namespace kotp::admin {

// sshd's defaults when a keyword is not set: UsePAM no, KbdInteractiveAuthentication yes,
// AuthenticationMethods any, PasswordAuthentication yes.
Findings check_sshd_config(const SshdConfig& config);

}  // namespace kotp::admin
