#include "authenticate.hpp"

#include <security/pam_ext.h>
#include <syslog.h>

#include <cstring>
#include <string>

#include "conversation.hpp"
#include "kotp/wire.hpp"
#include "login_exchange.hpp"
#include "login_request.hpp"
#include "module_log.hpp"
#include "module_options.hpp"

namespace kotp::pam {
namespace {

// A PAM string item, "" when it is not set. Items are bounded by the application, but a length
// over `limit` is reported as too long without reading further than limit + 1 bytes.
bool read_item(pam_handle_t* pamh, int item_type, std::size_t limit, std::string& out) {
    const void* item = nullptr;
    out.clear();
    if (pam_get_item(pamh, item_type, &item) != PAM_SUCCESS || item == nullptr) return true;
    const auto* text = static_cast<const char*>(item);
    const std::size_t length = ::strnlen(text, limit + 1);
    if (length > limit) return false;
    out.assign(text, length);
    return true;
}

}  // namespace

int authenticate(pam_handle_t* pamh, int flags, int argc, const char** argv) {
    const ParsedOptions parsed = parse_module_options(argc, argv);
    if (!parsed.ok()) {
        // A typo in /etc/pam.d must not quietly weaken the login: refuse until it is fixed.
        pam_syslog(pamh, LOG_ERR, "%s; refusing every login until the PAM configuration is fixed",
                   parsed.error.c_str());
        return PAM_SERVICE_ERR;
    }
    const ModuleOptions& options = parsed.options;

    LoginRequest request;  // filled below; every log line names what is known by then
    const ModuleLog log(pamh, request, options.debug);

    const char* user = nullptr;
    if (const int rc = pam_get_user(pamh, &user, nullptr); rc != PAM_SUCCESS) {
        pam_syslog(pamh, LOG_NOTICE, "cannot determine the user name: %s", pam_strerror(pamh, rc));
        // PAM_CONV_AGAIN: an event-driven application will call again; nothing is held yet.
        return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rc;
    }
    // One more byte than the limit, so that the log shows the name was cut.
    const std::size_t user_length = user == nullptr ? 0 : ::strnlen(user, wire::kMaxUserName + 1);
    if (user != nullptr) request.user.assign(user, user_length);

    struct Item {
        int type;
        const char* name;
        std::size_t limit;
        std::string* value;
    };
    const Item items[] = {{PAM_SERVICE, "PAM_SERVICE", wire::kMaxService, &request.service},
                          {PAM_RHOST, "PAM_RHOST", wire::kMaxRhost, &request.rhost},
                          {PAM_TTY, "PAM_TTY", wire::kMaxTty, &request.tty}};
    for (const Item& item : items) {
        if (!read_item(pamh, item.type, item.limit, *item.value)) {
            // Not the user's doing and not an otpd outage: the application hands us an item
            // otpd cannot take. Cutting it would change what policy sees, so refuse.
            log.outcome(
                LOG_ERR, wire::Status::ProtocolError, "refused: an item does not fit the protocol",
                std::string(item.name) + " longer than " + std::to_string(item.limit) + " bytes");
            return PAM_SERVICE_ERR;
        }
    }

    if (user_length == 0 || user_length > wire::kMaxUserName) {
        // The same refusal, in the same words, as otpd gives a name it cannot take.
        if ((static_cast<unsigned>(flags) & PAM_SILENT) == 0) show_error(pamh, "KS1014: Invalid user name.");
        log.outcome(LOG_NOTICE, wire::Status::InvalidArgument,
                    "refused: the user name is empty or longer than the protocol allows");
        return PAM_USER_UNKNOWN;
    }

    return run_login_exchange(pamh, flags, options, request, log);
}

}  // namespace kotp::pam
