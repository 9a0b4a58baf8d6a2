#include "conversation.hpp"

#include <cstdlib>
#include <cstring>

#include "kotp/wipe.hpp"

namespace kotp::pam {
namespace {

// Wipes and frees what a conversation function returned for one message.
void release_responses(struct pam_response* responses) {
    if (responses == nullptr) return;
    if (responses[0].resp != nullptr) {
        wipe(responses[0].resp, std::strlen(responses[0].resp));
        std::free(responses[0].resp);
    }
    std::free(responses);
}

// Sends one message. On PAM_SUCCESS, `*responses` may hold the application's answer (freed by
// the caller with release_responses); on failure nothing is left to free.
int converse(pam_handle_t* pamh, int style, std::string_view text,
             struct pam_response** responses) {
    *responses = nullptr;
    const void* item = nullptr;
    if (pam_get_item(pamh, PAM_CONV, &item) != PAM_SUCCESS || item == nullptr) return PAM_CONV_ERR;
    const auto* conv = static_cast<const struct pam_conv*>(item);
    if (conv->conv == nullptr) return PAM_CONV_ERR;

    const std::string msg_text(text);  // NUL-terminated copy for C
    struct pam_message message {};
    message.msg_style = style;
    message.msg = msg_text.c_str();
    const struct pam_message* messages[] = {&message};
    const int rc = conv->conv(1, messages, responses, conv->appdata_ptr);
    if (rc != PAM_SUCCESS) {
        release_responses(*responses);  // a careless application may still have allocated one
        *responses = nullptr;
    }
    return rc;
}

void show(pam_handle_t* pamh, int style, std::string_view text) {
    struct pam_response* responses = nullptr;
    converse(pamh, style, text, &responses);
    release_responses(responses);
}

}  // namespace

bool ask_user(pam_handle_t* pamh, std::string_view prompt, bool echo, std::string& answer) {
    struct pam_response* responses = nullptr;
    const int rc =
        converse(pamh, echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF, prompt, &responses);
    const bool answered = rc == PAM_SUCCESS && responses != nullptr && responses[0].resp != nullptr;
    if (answered) answer.assign(responses[0].resp);
    release_responses(responses);
    return answered;
}

void show_info(pam_handle_t* pamh, std::string_view text) {
    show(pamh, PAM_TEXT_INFO, text);
}

void show_error(pam_handle_t* pamh, std::string_view text) {
    show(pamh, PAM_ERROR_MSG, text);
}

}  // namespace kotp::pam
