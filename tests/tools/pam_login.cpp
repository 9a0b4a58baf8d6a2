// pam_login: drives one pam_authenticate through the real libpam, for tests.
//
//   pam_login --confdir DIR --service NAME --user USER [--rhost HOST] [--tty TTY]
//             [--answer TEXT]... [--answer-file PATH]... [--answer-delay-ms MS]
//
// --answer-file adds the whole file as one answer, for answers longer than one argument may be
// (the kernel caps an argument at 128 KiB).
//
// The service file is DIR/NAME (pam_start_confdir, Linux-PAM >= 1.4), so tests never touch
// /etc/pam.d. Every conversation message is printed to stdout, one per message:
//
//   PROMPT: <text>        PAM_PROMPT_ECHO_OFF / PAM_PROMPT_ECHO_ON; answered with the next --answer
//   INFO: <text>          PAM_TEXT_INFO
//   ERROR: <text>         PAM_ERROR_MSG
//
// then "RESULT: <pam_strerror> (<code>)" and "ELAPSED_MS: <ms spent in pam_authenticate>".
// When the answers run out the conversation fails with PAM_CONV_ERR. --answer-delay-ms waits
// before each answer, as a slow typist would. Exit status: 0 if pam_authenticate returned
// PAM_SUCCESS, 1 otherwise, 2 for a usage error.
#include <security/pam_appl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
    std::string confdir, service, user, rhost, tty;
    bool has_rhost = false, has_tty = false;
    std::vector<std::string> answers;
    long answer_delay_ms = 0;
};

struct ConversationState {
    const Options* options = nullptr;
    std::size_t next_answer = 0;
};

void print_message(const char* label, const char* text) {
    std::printf("%s: %s\n", label, text == nullptr ? "" : text);
    std::fflush(stdout);
}

void free_responses(struct pam_response* responses, int count) {
    if (responses == nullptr) return;
    for (int i = 0; i < count; ++i) {
        if (responses[i].resp != nullptr) {
            std::memset(responses[i].resp, 0, std::strlen(responses[i].resp));
            std::free(responses[i].resp);
        }
    }
    std::free(responses);
}

extern "C" int conversation(int count, const struct pam_message** messages,
                            struct pam_response** out, void* appdata) {
    *out = nullptr;
    if (count <= 0 || count > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
    auto* state = static_cast<ConversationState*>(appdata);
    auto* responses = static_cast<struct pam_response*>(
        std::calloc(static_cast<std::size_t>(count), sizeof(pam_response)));
    if (responses == nullptr) return PAM_BUF_ERR;

    for (int i = 0; i < count; ++i) {
        const struct pam_message* message = messages[i];
        switch (message->msg_style) {
            case PAM_PROMPT_ECHO_OFF:
            case PAM_PROMPT_ECHO_ON: {
                print_message("PROMPT", message->msg);
                if (state->next_answer >= state->options->answers.size()) {
                    free_responses(responses, count);
                    return PAM_CONV_ERR;
                }
                if (state->options->answer_delay_ms > 0)
                    std::this_thread::sleep_for(
                        std::chrono::milliseconds(state->options->answer_delay_ms));
                responses[i].resp = ::strdup(state->options->answers[state->next_answer++].c_str());
                if (responses[i].resp == nullptr) {
                    free_responses(responses, count);
                    return PAM_BUF_ERR;
                }
                break;
            }
            case PAM_TEXT_INFO:
                print_message("INFO", message->msg);
                break;
            case PAM_ERROR_MSG:
                print_message("ERROR", message->msg);
                break;
            default:
                free_responses(responses, count);
                return PAM_CONV_ERR;
        }
    }
    *out = responses;
    return PAM_SUCCESS;
}

[[noreturn]] void usage(const char* why) {
    std::fprintf(
        stderr,
        "pam_login: %s\n"
        "usage: pam_login --confdir DIR --service NAME --user USER [--rhost HOST] [--tty TTY]\n"
        "                 [--answer TEXT]... [--answer-file PATH]... [--answer-delay-ms MS]\n",
        why);
    std::exit(2);
}

Options parse_arguments(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) usage(("missing value after " + flag).c_str());
        const std::string value = argv[++i];
        if (flag == "--confdir") {
            o.confdir = value;
        } else if (flag == "--service") {
            o.service = value;
        } else if (flag == "--user") {
            o.user = value;
        } else if (flag == "--rhost") {
            o.rhost = value, o.has_rhost = true;
        } else if (flag == "--tty") {
            o.tty = value, o.has_tty = true;
        } else if (flag == "--answer") {
            o.answers.push_back(value);
        } else if (flag == "--answer-file") {
            std::ifstream in(value, std::ios::binary);
            if (!in) usage(("cannot read " + value).c_str());
            o.answers.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        } else if (flag == "--answer-delay-ms") {
            char* end = nullptr;
            o.answer_delay_ms = std::strtol(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || o.answer_delay_ms < 0)
                usage("bad --answer-delay-ms");
        } else {
            usage(("unknown option " + flag).c_str());
        }
    }
    if (o.confdir.empty() || o.service.empty() || o.user.empty())
        usage("--confdir, --service and --user are required");
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse_arguments(argc, argv);
    ConversationState state;
    state.options = &options;
    const struct pam_conv conv = {conversation, &state};

    pam_handle_t* pamh = nullptr;
    int rc = pam_start_confdir(options.service.c_str(), options.user.c_str(), &conv,
                               options.confdir.c_str(), &pamh);
    if (rc != PAM_SUCCESS) {
        std::fprintf(stderr, "pam_login: pam_start_confdir failed: %d\n", rc);
        std::printf("RESULT: pam_start_confdir failed (%d)\n", rc);
        return 1;
    }
    if (options.has_rhost) rc = pam_set_item(pamh, PAM_RHOST, options.rhost.c_str());
    if (rc == PAM_SUCCESS && options.has_tty) rc = pam_set_item(pamh, PAM_TTY, options.tty.c_str());
    if (rc != PAM_SUCCESS) {
        std::fprintf(stderr, "pam_login: pam_set_item failed: %s\n", pam_strerror(pamh, rc));
        pam_end(pamh, rc);
        return 1;
    }

    const auto start = std::chrono::steady_clock::now();
    rc = pam_authenticate(pamh, 0);
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);

    std::printf("RESULT: %s (%d)\n", pam_strerror(pamh, rc), rc);
    std::printf("ELAPSED_MS: %lld\n", static_cast<long long>(elapsed.count()));
    std::fflush(stdout);
    pam_end(pamh, rc);
    return rc == PAM_SUCCESS ? 0 : 1;
}
