// The libpam functions pam_kotp's sources call, played by a fake application whose answers come
// from the fuzz input: pam_get_user, pam_get_item, pam_set_item, pam_strerror, pam_syslog and
// pam_vsyslog, and the conversation function behind PAM_CONV. Linked instead of libpam.
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_pam.hpp"

namespace kotp::fuzz {

namespace {

// A response string as an application allocates it (malloc, NUL-terminated), or NULL.
char* allocate_text(const std::string& text) {
    auto* out = static_cast<char*>(std::malloc(text.size() + 1));
    if (out == nullptr) std::abort();
    std::memcpy(out, text.c_str(), text.size() + 1);
    return out;
}

}  // namespace

int fake_conversation(int count, const struct pam_message** messages, struct pam_response** responses,
                      void* appdata) {
    Scenario& s = scenario();
    if (appdata != &s.app || count != 1 || messages == nullptr || messages[0] == nullptr ||
        messages[0]->msg == nullptr || responses == nullptr) {
        std::fprintf(stderr, "fuzz_pam: conversation called with bad arguments\n");
        std::abort();
    }
    ++s.app.conversations;
    // Reads the message as an application would (ASan checks it is a live, terminated string).
    const std::size_t length = std::strlen(messages[0]->msg);
    (void)length;
    const int style = messages[0]->msg_style;
    if (style != PAM_PROMPT_ECHO_ON && style != PAM_PROMPT_ECHO_OFF && style != PAM_TEXT_INFO &&
        style != PAM_ERROR_MSG) {
        std::fprintf(stderr, "fuzz_pam: conversation message of unknown style %d\n", style);
        std::abort();
    }
    Script& in = *s.script;
    auto* reply = static_cast<struct pam_response*>(std::calloc(1, sizeof(struct pam_response)));
    if (reply == nullptr) std::abort();
    switch (in.u8() % 8) {
        case 0:  // an answer (default once the input is used up: a six-digit code)
            reply->resp = allocate_text(in.empty() ? std::string("123456") : in.str());
            *responses = reply;
            return PAM_SUCCESS;
        case 1:  // the application cannot ask
            std::free(reply);
            return PAM_CONV_ERR;
        case 2:  // its malloc failed
            std::free(reply);
            return PAM_BUF_ERR;
        case 3:  // success, but no response array
            std::free(reply);
            *responses = nullptr;
            return PAM_SUCCESS;
        case 4:  // success, an array with a NULL answer
            *responses = reply;
            return PAM_SUCCESS;
        case 5:  // a careless application: failure, yet it allocated an answer
            reply->resp = allocate_text("999999");
            *responses = reply;
            return PAM_CONV_ERR;
        case 6: {  // a huge answer: digits, so that only its length is wrong
            reply->resp = allocate_text(std::string(kHugeSize, static_cast<char>('0' + in.u8() % 10)));
            *responses = reply;
            return PAM_SUCCESS;
        }
        default:  // the user typed nothing
            reply->resp = allocate_text("");
            *responses = reply;
            return PAM_SUCCESS;
    }
}

}  // namespace kotp::fuzz

using kotp::fuzz::scenario;

extern "C" {

int pam_get_user(pam_handle_t* pamh, const char** user, const char* /*prompt*/) {
    switch (pamh->app->user_mode) {
        case 0:
            *user = pamh->app->user.c_str();
            return PAM_SUCCESS;
        case 1:
            *user = nullptr;
            return PAM_SUCCESS;
        case 2:
            return PAM_CONV_AGAIN;
        default:
            return PAM_SYSTEM_ERR;
    }
}

int pam_get_item(const pam_handle_t* pamh, int item_type, const void** item) {
    *item = nullptr;
    if (pamh->app->item_fails.count(item_type) != 0) return PAM_SYSTEM_ERR;
    if (item_type == PAM_CONV) {
        if (pamh->app->conv_mode == 1) return PAM_SUCCESS;  // no conversation set
        *item = &pamh->conv;
        return PAM_SUCCESS;
    }
    const auto it = pamh->app->items.find(item_type);
    if (it != pamh->app->items.end()) *item = it->second.c_str();
    return PAM_SUCCESS;
}

int pam_set_item(pam_handle_t* pamh, int item_type, const void* item) {
    if (pamh->app->set_item_fails) return PAM_BUF_ERR;
    if (item_type != PAM_AUTHTOK) {
        std::fprintf(stderr, "fuzz_pam: the module set item %d\n", item_type);
        std::abort();
    }
    // libpam copies the string: so does this (ASan checks it is a live, terminated string).
    if (item == nullptr)
        pamh->app->items.erase(item_type);
    else
        pamh->app->items[item_type] = static_cast<const char*>(item);
    ++pamh->app->authtok_sets;
    return PAM_SUCCESS;
}

const char* pam_strerror(pam_handle_t* /*pamh*/, int errnum) {
    static char text[32];
    std::snprintf(text, sizeof text, "PAM error %d", errnum);
    return text;
}

void pam_vsyslog(const pam_handle_t* /*pamh*/, int /*priority*/, const char* fmt, va_list args) {
    // Formatted as syslog would, so the sanitizers see every argument read.
    char line[8192];
    std::vsnprintf(line, sizeof line, fmt, args);
}

void pam_syslog(const pam_handle_t* pamh, int priority, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    pam_vsyslog(pamh, priority, fmt, args);
    va_end(args);
}

}  // extern "C"
