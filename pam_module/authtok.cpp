#include "authtok.hpp"

#include "kotp/wipe.hpp"

namespace kotp::pam {

bool read_authtok(pam_handle_t* pamh, std::string& out) {
    wipe(out);
    const void* item = nullptr;
    if (pam_get_item(pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS || item == nullptr) return false;
    out.assign(static_cast<const char*>(item));
    return true;
}

int set_authtok(pam_handle_t* pamh, const std::string& password) {
    return pam_set_item(pamh, PAM_AUTHTOK, password.c_str());
}

}  // namespace kotp::pam
