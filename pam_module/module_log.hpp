// The module's syslog lines. Every outcome is one line that starts with the message ID the user
// sees and names the user, service, rhost and tty; strings that a user can choose are quoted and
// escaped. Nothing the user typed at a prompt is ever passed here.
#pragma once

#include <security/pam_modules.h>

#include <string>
#include <string_view>

#include "kotp/wire.hpp"
#include "login_request.hpp"

namespace kotp::pam {

// `s` in double quotes, with every byte that is not printable ASCII, and '"' and '\', written
// as \xNN, so a crafted user or host name cannot forge a log line or a field. Very long values
// are cut (with "..." after the closing quote).
std::string log_quote(std::string_view s);

class ModuleLog {
  public:
    ModuleLog(pam_handle_t* pamh, const LoginRequest& request, bool debug)
        : pamh_(pamh), request_(request), debug_(debug) {}

    // "<ID> <summary> user=\"..\" service=\"..\" rhost=\"..\" tty=\"..\"[ <detail>]"
    void outcome(int priority, wire::Status status, std::string_view summary,
                 std::string_view detail = {}) const;

    // Per-step lines, only with the `debug` module argument.
    void debug(std::string_view message) const;

    bool debug_enabled() const { return debug_; }

  private:
    pam_handle_t* pamh_;
    const LoginRequest& request_;
    bool debug_;
};

}  // namespace kotp::pam
