#include "login_exchange.hpp"

#include <security/pam_ext.h>
#include <syslog.h>

#include <chrono>
#include <string>
#include <string_view>

#include "authtok.hpp"
#include "combined_answer.hpp"
#include "conversation.hpp"
#include "kotp/client.hpp"
#include "kotp/messages.hpp"
#include "kotp/status.hpp"
#include "kotp/wipe.hpp"
#include "pam_result.hpp"

namespace kotp::pam {
namespace {

using wire::Status;

// An enrolment is a handful of steps (activation code, first code); a daemon that keeps asking
// past this is broken, and the module stops rather than loop.
constexpr int kMaxSteps = 16;

constexpr std::string_view kDefaultPrompt = "Verification code: ";

const char* outcome_name(wire::Outcome outcome) {
    switch (outcome) {
        case wire::Outcome::Prompt:
            return "prompt";
        case wire::Outcome::Success:
            return "success";
        case wire::Outcome::Failure:
            return "failure";
    }
    return "?";
}

// Syslog priority of a refusal: the user's own mistakes are notices, a suspension a warning,
// and anything that says otpd or the setup is unwell an error.
int refusal_priority(Status status) {
    switch (status) {
        case Status::Suspended:
            return LOG_WARNING;
        case Status::InternalError:
        case Status::ProtocolError:
        case Status::Busy:
        case Status::ServiceUnavailable:
            return LOG_ERR;
        case Status::UntrustedSocket:
            return LOG_CRIT;
        default:
            return LOG_NOTICE;
    }
}

class LoginExchange {
  public:
    LoginExchange(pam_handle_t* pamh, int flags, const ModuleOptions& options,
                  const LoginRequest& request, const ModuleLog& log)
        : pamh_(pamh),
          silent_((static_cast<unsigned>(flags) & PAM_SILENT) != 0),
          options_(options),
          request_(request),
          log_(log),
          timeout_(std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout)) {}
    ~LoginExchange() { wipe(password_); }
    LoginExchange(const LoginExchange&) = delete;
    LoginExchange& operator=(const LoginExchange&) = delete;

    int run() {
        const int result = converse_with_otpd();
        connection_.close();
        return result;
    }

  private:
    int converse_with_otpd() {
        log_.debug("connecting to " + log_quote(options_.socket_path) +
                   " timeout=" + std::to_string(options_.timeout.count()) + "s");
        if (const auto e =
                connection_.connect(options_.socket_path, timeout_, TrustedOwner::RootOrOtpd);
            e != ClientError::None)
            return connection_failed(e);

        const wire::AuthBegin begin{request_.user, request_.service, request_.rhost, request_.tty};
        const auto begin_frame = wire::encode_frame(begin);
        if (begin_frame.empty())
            return protocol_error("the login request does not fit the protocol");
        if (const auto e = connection_.send(begin_frame, timeout_); e != ClientError::None)
            return connection_failed(e);
        log_.debug("sent AuthBegin");

        for (int step = 0; step < kMaxSteps; ++step) {
            Frame reply;
            if (const auto e = connection_.receive(reply, timeout_); e != ClientError::None)
                return connection_failed(e);
            otpd_answered_ = true;

            if (reply.type == wire::MessageType::Error) {
                wire::ErrorReply error;
                if (const auto d = wire::decode_payload(reply.payload, error);
                    d != wire::DecodeError::None)
                    return protocol_error(std::string("undecodable Error reply: ") + to_string(d));
                log_.debug(std::string("otpd error reply ") + describe(error.status).id);
                return refuse(error.status, error.text, {});
            }
            if (reply.type != wire::MessageType::AuthStep)
                return protocol_error("unexpected reply type " +
                                      std::to_string(static_cast<unsigned>(reply.type)));

            wire::AuthStep auth_step;
            if (const auto d = wire::decode_payload(reply.payload, auth_step);
                d != wire::DecodeError::None)
                return protocol_error(std::string("undecodable AuthStep: ") + to_string(d));
            log_.debug(std::string("otpd step ") + outcome_name(auth_step.outcome) + " " +
                       describe(auth_step.status).id +
                       (auth_step.outcome != wire::Outcome::Prompt ? ""
                        : auth_step.echo                           ? " echo=on"
                                                                   : " echo=off"));

            switch (auth_step.outcome) {
                case wire::Outcome::Prompt:
                    if (const int rc = prompt_and_answer(auth_step, step == 0); rc != kContinue)
                        return rc;
                    break;
                case wire::Outcome::Success:
                    return accept(auth_step);
                case wire::Outcome::Failure:
                    return refuse(auth_step.status, auth_step.text,
                                  "attempts_left=" + std::to_string(auth_step.attempts_left));
            }
        }
        return protocol_error("otpd asked more than " + std::to_string(kMaxSteps) + " questions");
    }

    // Not a PAM code: prompt_and_answer() returns it when the attempt goes on.
    static constexpr int kContinue = -1;

    // `first_step`: otpd's first question of this login. In combined mode that is where the
    // password comes from: with the code when otpd asks for one (echo off), on its own prompt
    // before anything else when it asks for an activation code (echo on, first-login enrolment).
    int prompt_and_answer(const wire::AuthStep& auth_step, bool first_step) {
        const bool combined_code = options_.combined && first_step && !auth_step.echo;
        if (options_.combined && first_step && !combined_code && !obtain_password())
            return no_answer();

        // The text before a prompt is part of the question (a QR code, what to type): it is
        // shown even with PAM_SILENT.
        if (!auth_step.text.empty()) show_info(pamh_, terminal_safe(auth_step.text));

        wire::AuthAnswer answer;  // wipes the response when it goes out of scope
        if (combined_code) {
            if (const int rc = take_combined_answer(auth_step.code_digits, answer.response);
                rc != kContinue)
                return rc;
        } else {
            const std::string prompt = auth_step.prompt.empty() ? std::string(kDefaultPrompt)
                                                                : terminal_safe(auth_step.prompt);
            if (!ask_user(pamh_, prompt, auth_step.echo, answer.response)) return no_answer();
        }
        if (answer.response.size() > wire::kMaxResponse)
            return refuse_here(Status::BadCodeFormat, LOG_NOTICE,
                               "refused: the answer is longer than " +
                                   std::to_string(wire::kMaxResponse) + " bytes and was not sent");

        auto frame = wire::encode_frame(answer);
        if (frame.empty()) {
            return refuse_here(Status::BadCodeFormat, LOG_NOTICE,
                               "refused: the answer cannot be encoded and was not sent");
        }
        const auto e = connection_.send(frame, timeout_);
        wipe(frame);
        if (e != ClientError::None) return connection_failed(e);
        log_.debug("sent AuthAnswer");
        return kContinue;
    }

    // Combined mode: one answer "<password><code>" (or the PAM_AUTHTOK an earlier module set,
    // which single-prompt clients fill the same way). The code goes to `code`, the password is
    // kept for hand_over_password(). An answer that does not end in the code's digits is refused
    // here and nothing is sent: otpd counts no failure for what cannot be a code.
    int take_combined_answer(std::uint8_t code_digits, std::string& code) {
        const std::size_t length = combined_code_length(code_digits);
        std::string typed;
        if (read_authtok(pamh_, typed)) {
            log_.debug("combined: splitting the PAM_AUTHTOK an earlier module set");
        } else if (!ask_user(pamh_, kCombinedPrompt, false, typed)) {
            wipe(typed);
            return no_answer();
        }
        CombinedAnswer parts;  // wiped when it goes out of scope
        const bool split = split_combined_answer(typed, length, parts);
        wipe(typed);
        if (!split) {
            const std::string digits = std::to_string(length);
            return refuse_here(Status::BadCodeFormat, LOG_NOTICE,
                               "refused: the combined answer does not end in a " + digits +
                                   "-digit code and was not sent",
                               {},
                               std::string(describe(Status::BadCodeFormat).id) +
                                   ": The answer must be your password followed directly by the " +
                                   digits + "-digit code your app shows.");
        }
        log_.debug("combined: sending the trailing " + std::to_string(length) + " digits");
        password_.swap(parts.password);
        have_password_ = true;
        code.swap(parts.code);
        return kContinue;
    }

    // Combined mode, when the password did not come with the code: the PAM_AUTHTOK an earlier
    // module set, or else asked on its own prompt. False if the user could not be asked.
    bool obtain_password() {
        if (have_password_) return true;
        if (read_authtok(pamh_, password_)) {
            log_.debug("combined: keeping the PAM_AUTHTOK an earlier module set");
        } else if (!ask_user(pamh_, kPasswordPrompt, false, password_)) {
            return false;
        }
        have_password_ = true;
        return true;
    }

    // Combined mode, when the login goes on: the password becomes PAM_AUTHTOK for the next
    // module (pam_unix.so use_first_pass). Only ever on success, so that a refused code leaves
    // no password behind for a stack that goes on after a failure.
    int hand_over_password() {
        if (!obtain_password()) return no_answer();
        const int rc = set_authtok(pamh_, password_);
        wipe(password_);
        if (rc != PAM_SUCCESS) {
            pam_syslog(pamh_, LOG_ERR, "cannot set PAM_AUTHTOK for the next module: %s",
                       pam_strerror(pamh_, rc));
            return rc;
        }
        log_.debug("combined: PAM_AUTHTOK set for the next module");
        return PAM_SUCCESS;
    }

    int accept(const wire::AuthStep& auth_step) {
        if (options_.combined)
            if (const int rc = hand_over_password(); rc != PAM_SUCCESS) return rc;
        if (!auth_step.text.empty() && !silent_) show_info(pamh_, terminal_safe(auth_step.text));
        log_.outcome(LOG_INFO, auth_step.status, "accepted");
        return PAM_SUCCESS;
    }

    int no_answer() {
        return refuse_here(Status::ConversationFailed, LOG_NOTICE,
                           "refused: the application returned no answer to the prompt");
    }

    // otpd refused, with an AuthStep Failure or an Error reply.
    int refuse(Status status, std::string_view text, std::string_view detail) {
        if (status == Status::Ok) return protocol_error("a refusal with status Ok");
        const int rc = pam_code_for(status);
        if (rc == PAM_SUCCESS) return protocol_error("a refusal that maps to success");
        if (!silent_) show_error(pamh_, user_message(status, text));
        log_.outcome(refusal_priority(status), status,
                     std::string("refused: ") + describe(status).cause, detail);
        return rc;
    }

    // The module refuses on its own, with `text`, or the standard message of `status` when
    // there is none.
    int refuse_here(Status status, int priority, std::string_view summary,
                    std::string_view detail = {}, std::string_view text = {}) {
        if (!silent_) show_error(pamh_, user_message(status, text));
        log_.outcome(priority, status, summary, detail);
        return pam_code_for(status);
    }

    // otpd sent something this module does not understand: never let the user in for that,
    // whatever failmode says, since otpd is there and may have meant a refusal.
    int protocol_error(std::string_view what) {
        return refuse_here(Status::ProtocolError, LOG_ERR, "refused: protocol error with otpd",
                           "reason=" + log_quote(what));
    }

    int connection_failed(ClientError e) {
        const std::string reason = std::string("reason=") + log_quote(to_string(e));
        if (e == ClientError::BadFrame) return protocol_error(to_string(e));
        if (e == ClientError::UntrustedOwner) {
            // Someone else may be listening on the path: fail closed even with failmode=open.
            return refuse_here(Status::UntrustedSocket, LOG_CRIT,
                               "refused: the otpd socket is not owned by root or _otpd",
                               "socket=" + log_quote(options_.socket_path) + " " + reason);
        }
        // failmode=open covers an otpd that cannot be reached. Once otpd has answered it is
        // up, and losing it later (say it drops a connection that idled at the prompt) must not
        // turn into a way around the code.
        if (options_.failmode == FailMode::Open && !otpd_answered_) {
            if (options_.combined)
                if (const int rc = hand_over_password(); rc != PAM_SUCCESS) return rc;
            log_.outcome(
                LOG_ALERT, Status::ServiceUnavailable,
                "failmode=open: otpd is unreachable, login ALLOWED WITHOUT a second factor",
                "socket=" + log_quote(options_.socket_path) + " " + reason);
            return PAM_SUCCESS;
        }
        std::string detail = "socket=" + log_quote(options_.socket_path) + " " + reason;
        if (options_.failmode == FailMode::Open)
            detail += " failmode=open not applied: otpd had answered";
        return refuse_here(Status::ServiceUnavailable, LOG_ERR, "refused: otpd is unreachable",
                           detail);
    }

    pam_handle_t* pamh_;
    bool silent_;
    const ModuleOptions& options_;
    const LoginRequest& request_;
    const ModuleLog& log_;
    std::chrono::milliseconds timeout_;
    OtpdConnection connection_;
    bool otpd_answered_ = false;
    // Combined mode: the password for the next module, once known.
    std::string password_;
    bool have_password_ = false;
};

}  // namespace

int run_login_exchange(pam_handle_t* pamh, int flags, const ModuleOptions& options,
                       const LoginRequest& request, const ModuleLog& log) {
    LoginExchange exchange(pamh, flags, options, request, log);
    return exchange.run();
}

}  // namespace kotp::pam
