// The login names kotp accepts, the one rule for otpd and for kotp-admin's checks (import files).
#pragma once

#include <string_view>

namespace kotp {

// 1-256 bytes of [A-Za-z0-9._@$-], not starting with '-'.
bool valid_user_name(std::string_view name);

}  // namespace kotp
