// pam_authtok_probe.so: a test PAM module that stands in for the modules around pam_kotp.so in a
// stack and tells what PAM_AUTHTOK holds, without ever showing the password itself. (An
// application cannot read PAM_AUTHTOK: libpam gives it to modules only.)
//
//   auth required pam_authtok_probe.so set=TEXT     sets PAM_AUTHTOK to TEXT and succeeds, as an
//                                                   earlier module that asked the password does
//   auth required pam_authtok_probe.so expect=TEXT  as pam_unix.so use_first_pass: succeeds if
//                                                   PAM_AUTHTOK is TEXT, fails otherwise
//   auth required pam_authtok_probe.so              succeeds if PAM_AUTHTOK is set
//
// Except with set=, it shows one PAM_TEXT_INFO: "AUTHTOK: unset", or "AUTHTOK: length N", with
// ", matches" or ", differs" after it when expect= is given.
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include <cstring>
#include <string>

namespace {

bool value_of(const char* arg, const char* name, std::string& value) {
    const std::size_t n = std::strlen(name);
    if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
    value = arg + n + 1;
    return true;
}

int probe(pam_handle_t* pamh, int argc, const char** argv) {
    std::string set, expect;
    bool has_set = false, has_expect = false;
    for (int i = 0; i < argc; ++i) {
        if (value_of(argv[i], "set", set)) {
            has_set = true;
        } else if (value_of(argv[i], "expect", expect)) {
            has_expect = true;
        } else {
            return PAM_SERVICE_ERR;
        }
    }
    if (has_set) return pam_set_item(pamh, PAM_AUTHTOK, set.c_str());

    const void* item = nullptr;
    if (pam_get_item(pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS || item == nullptr) {
        pam_info(pamh, "AUTHTOK: unset");
        return PAM_AUTH_ERR;
    }
    const std::string authtok = static_cast<const char*>(item);
    const bool matches = !has_expect || authtok == expect;
    const std::string verdict = !has_expect ? "" : matches ? ", matches" : ", differs";
    pam_info(pamh, "AUTHTOK: length %zu%s", authtok.size(), verdict.c_str());
    return matches ? PAM_SUCCESS : PAM_AUTH_ERR;
}

}  // namespace

extern "C" {

int pam_sm_authenticate(pam_handle_t* pamh, int /*flags*/, int argc, const char** argv) {
    try {
        return probe(pamh, argc, argv);
    } catch (...) {
        return PAM_SERVICE_ERR;
    }
}

int pam_sm_setcred(pam_handle_t* /*pamh*/, int /*flags*/, int /*argc*/, const char** /*argv*/) {
    return PAM_SUCCESS;
}

}  // extern "C"
