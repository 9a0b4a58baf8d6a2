#include "commands.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "kotp/client.hpp"
#include "kotp/messages.hpp"
#include "kotp/status.hpp"
#include "kotp/wipe.hpp"
#include "output.hpp"
#include "qr_png.hpp"
#include "qr_terminal.hpp"
#include "user_exchange.hpp"

namespace kotp::admin {
namespace {

using nlohmann::json;

// Replaces invalid UTF-8 from otpd instead of throwing; the dump is wiped because it may hold
// a secret.
void print_json(const Context& ctx, const json& document) {
    std::string text = document.dump(2, ' ', false, json::error_handler_t::replace);
    *ctx.out << text << '\n' << std::flush;
    wipe(text);
}

// One line on stderr, and with --json an {"error": ...} document on stdout.
int fail(const Context& ctx, int exit_status, std::string_view code, const std::string& message) {
    *ctx.err << ctx.program << ": " << message << '\n' << std::flush;
    if (ctx.json) print_json(ctx, error_json(code, message));
    return exit_status;
}

int fail_protocol(const Context& ctx, const std::string& what) {
    return fail(ctx, kExitRefused, describe(wire::Status::ProtocolError).id,
                "protocol error: " + what + " (otpd at " + ctx.socket_path +
                    " speaks another protocol version?)");
}

int fail_transport(const Context& ctx, ClientError error) {
    if (error == ClientError::BadFrame) return fail_protocol(ctx, to_string(error));
    const wire::Status status = error == ClientError::UntrustedOwner
                                    ? wire::Status::UntrustedSocket
                                    : wire::Status::ServiceUnavailable;
    return fail(ctx, kExitUnreachable, describe(status).id,
                "cannot talk to otpd at " + ctx.socket_path + ": " + to_string(error));
}

int fail_refused(const Context& ctx, const wire::ErrorReply& refusal) {
    const StatusText text = describe(refusal.status);
    std::string message = text.cause;
    const std::string detail = printable(refusal.text);
    if (!detail.empty() && detail != text.cause && detail != status_line(refusal.status))
        message += " (" + detail + ")";
    *ctx.err << ctx.program << ": " << text.id << ": " << message << '\n' << std::flush;
    if (ctx.json) {
        json document = error_json(text.id, message);
        document["error"]["remedy"] = text.remedy;
        print_json(ctx, document);
    }
    switch (refusal.status) {
        case wire::Status::PermissionDenied:
            return kExitPermission;
        case wire::Status::UnknownUser:
            return kExitUnknownUser;
        default:
            return kExitRefused;
    }
}

const char* type_name(wire::MessageType type) {
    switch (type) {
        case wire::MessageType::AuthStep:
            return "AuthStep";
        case wire::MessageType::Error:
            return "Error";
        case wire::MessageType::Enrolled:
            return "Enrolled";
        case wire::MessageType::UserList:
            return "UserList";
        case wire::MessageType::UserInfo:
            return "UserInfo";
        case wire::MessageType::Done:
            return "Done";
        case wire::MessageType::ActivationIssued:
            return "ActivationIssued";
        case wire::MessageType::RecoveryCodes:
            return "RecoveryCodes";
        default:
            return "a request";
    }
}

std::string describe_type(wire::MessageType type) {
    return std::string(type_name(type)) + " (type " + std::to_string(static_cast<unsigned>(type)) +
           ")";
}

// Sends one request on a fresh connection and decodes the reply into `reply`. Returns kExitOk,
// or reports what went wrong and returns the exit status for it.
template <typename Request, typename Reply>
int exchange(const Context& ctx, const Request& request, Reply& reply) {
    const std::vector<std::uint8_t> request_frame = wire::encode_frame(request);
    if (request_frame.empty())
        return fail(ctx, kExitUsage, describe(wire::Status::InvalidArgument).id,
                    "a value is too long for the request");
    OtpdConnection connection;
    if (const ClientError e =
            connection.connect(ctx.socket_path, ctx.timeout, TrustedOwner::RootOtpdOrSelf);
        e != ClientError::None)
        return fail_transport(ctx, e);
    Frame frame;
    ClientError e = connection.send(request_frame, ctx.timeout);
    if (e == ClientError::None) e = connection.receive(frame, ctx.timeout);
    if (e != ClientError::None) return fail_transport(ctx, e);

    int status = kExitOk;
    if (frame.type == wire::MessageType::Error) {
        wire::ErrorReply refusal;
        const wire::DecodeError d = wire::decode_payload(frame.payload, refusal);
        status =
            d == wire::DecodeError::None
                ? fail_refused(ctx, refusal)
                : fail_protocol(ctx, std::string("malformed Error reply: ") + wire::to_string(d));
    } else if (frame.type != Reply::kType) {
        status = fail_protocol(
            ctx, "expected " + describe_type(Reply::kType) + ", got " + describe_type(frame.type));
    } else if (const wire::DecodeError d = wire::decode_payload(frame.payload, reply);
               d != wire::DecodeError::None) {
        status = fail_protocol(
            ctx, "malformed " + describe_type(Reply::kType) + " reply: " + wire::to_string(d));
    }
    wipe(frame.payload);  // an Enrolled payload holds the secret
    return status;
}

// The reply of unlock, suspend and remove.
template <typename Request>
int run_done_command(const Context& ctx, const Request& request, const std::string& fallback) {
    wire::Done done;
    if (const int status = exchange(ctx, request, done); status != kExitOk) return status;
    if (ctx.json) {
        print_json(ctx, done_json(request.user, done.text.empty() ? fallback : done.text));
    } else {
        *ctx.out << (done.text.empty() ? fallback : printable(done.text)) << '\n';
    }
    return kExitOk;
}

// The QR image and the JSON document hold the secret: wiped once shown.
void show_enrolled(const Context& ctx, const EnrolmentView& enrolment,
                   const std::string& png_path) {
    if (ctx.json) {
        json document = enrolled_json(enrolment);
        if (!png_path.empty()) document["qr_png"] = png_path;
        print_json(ctx, document);
        wipe(document["secret"].get_ref<std::string&>());
        wipe(document["uri"].get_ref<std::string&>());
        return;
    }
    std::string qr = render_qr_terminal(enrolment.reply.uri);
    *ctx.out << qr;
    wipe(qr);
    print_enrolled(*ctx.out, enrolment);
    if (!png_path.empty()) *ctx.out << "QR code written to " << png_path << " (mode 0600).\n";
    *ctx.out << std::flush;
}

}  // namespace

int run_enroll(const Context& ctx, const EnrollOptions& options) {
    wire::AdminEnroll request;
    request.user = options.user;
    request.type = options.type;
    request.algorithm = options.algorithm;
    request.digits = static_cast<std::uint8_t>(options.digits);
    request.period = static_cast<std::uint16_t>(options.period);
    request.label = options.label;
    wire::Enrolled reply;
    if (const int status = exchange(ctx, request, reply); status != kExitOk) return status;
    if (reply.secret.empty() || reply.uri.empty())
        return fail_protocol(ctx, "the Enrolled reply has no secret or no URI");

    // The token now exists at otpd: whatever happens to the PNG, the secret is shown once.
    std::string png_error;
    const bool png_failed =
        options.qr_png.has_value() && !write_qr_png(*options.qr_png, reply.uri, png_error);
    show_enrolled(ctx, {request, reply}, png_failed ? "" : options.qr_png.value_or(""));
    if (png_failed) {
        *ctx.err << "kotp-admin: " << png_error
                 << "; the token was enrolled: use the key string or URI shown instead\n";
        return kExitRefused;
    }
    return kExitOk;
}

int run_list(const Context& ctx) {
    std::vector<wire::UserSummary> users;
    wire::AdminList request;
    request.limit = wire::kMaxListPage;
    for (;;) {
        wire::UserList page;
        if (const int status = exchange(ctx, request, page); status != kExitOk) return status;
        users.insert(users.end(), page.users.begin(), page.users.end());
        if (!page.more) break;
        // Names come sorted: a page that does not move forward would make us loop for ever.
        if (page.users.empty() || page.users.back().user <= request.after)
            return fail_protocol(ctx, "a UserList page announces more users but does not advance");
        request.after = page.users.back().user;
    }
    if (ctx.json) {
        print_json(ctx, user_list_json(users));
    } else {
        print_user_table(*ctx.out, users);
    }
    return kExitOk;
}

int run_show(const Context& ctx, const std::string& user) {
    wire::AdminShow request;
    request.user = user;
    wire::UserInfo info;
    if (const int status = exchange(ctx, request, info); status != kExitOk) return status;
    if (ctx.json) {
        print_json(ctx, user_info_json(info));
    } else {
        print_user_info(*ctx.out, info);
    }
    return kExitOk;
}

int run_unlock(const Context& ctx, const std::string& user) {
    wire::AdminUnlock request;
    request.user = user;
    return run_done_command(ctx, request, user + " unlocked.");
}

int run_suspend(const Context& ctx, const std::string& user, const std::string& reason) {
    wire::AdminSuspend request;
    request.user = user;
    request.reason = reason;
    return run_done_command(ctx, request, user + " suspended.");
}

int run_remove(const Context& ctx, const std::string& user) {
    wire::AdminRemove request;
    request.user = user;
    return run_done_command(ctx, request, user + " removed.");
}

namespace {

// The reply of issue and reset: the activation code, shown once.
int show_activation(const Context& ctx, const wire::ActivationIssued& issued, const char* preamble) {
    if (ctx.json) {
        json document{{"user", issued.user}, {"code", issued.code}, {"expires", json_time(issued.expires)}};
        print_json(ctx, document);
        wipe(document["code"].get_ref<std::string&>());
        return kExitOk;
    }
    *ctx.out << preamble << "Activation code for " << printable(issued.user) << ": " << printable(issued.code)
             << "\nValid until " << format_local_time(issued.expires)
             << ", usable once. At the next login the user types it, scans the QR code shown,\n"
                "and confirms with the first code from the app.\n"
             << std::flush;
    return kExitOk;
}

}  // namespace

std::optional<std::uint32_t> parse_validity(const std::string& text) {
    if (text.empty()) return std::nullopt;
    std::uint64_t unit = 1;
    std::string digits = text;
    switch (text.back()) {
        case 's': unit = 1; digits.pop_back(); break;
        case 'm': unit = 60; digits.pop_back(); break;
        case 'h': unit = 3600; digits.pop_back(); break;
        case 'd': unit = 86400; digits.pop_back(); break;
        default: break;
    }
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    const std::uint64_t seconds = std::stoull(digits) * unit;
    if (seconds < 1 || seconds > wire::kMaxActivationValidity) return std::nullopt;
    return static_cast<std::uint32_t>(seconds);
}

int run_issue(const Context& ctx, const std::string& user, std::uint32_t valid_seconds) {
    wire::AdminIssue request;
    request.user = user;
    request.valid_seconds = valid_seconds;
    wire::ActivationIssued reply;
    if (const int status = exchange(ctx, request, reply); status != kExitOk) return status;
    return show_activation(ctx, reply, "");
}

int run_reset(const Context& ctx, const std::string& user, std::uint32_t valid_seconds) {
    wire::AdminReset request;
    request.user = user;
    request.valid_seconds = valid_seconds;
    wire::ActivationIssued reply;
    if (const int status = exchange(ctx, request, reply); status != kExitOk) return status;
    return show_activation(ctx, reply,
                           "Revoked every token and recovery code of the user and lifted any suspension.\n");
}

int run_recovery(const Context& ctx, const std::string& user) {
    wire::AdminRecovery request;
    request.user = user;
    wire::RecoveryCodes reply;
    if (const int status = exchange(ctx, request, reply); status != kExitOk) return status;
    if (ctx.json) {
        json document{{"user", reply.user}, {"codes", reply.codes}};
        print_json(ctx, document);
        for (auto& code : document["codes"]) wipe(code.get_ref<std::string&>());
        return kExitOk;
    }
    *ctx.out << "Recovery codes for " << printable(reply.user)
             << " (they replace any earlier set; each works once, in place of a code):\n";
    for (const auto& code : reply.codes) *ctx.out << "  " << printable(code) << '\n';
    *ctx.out << std::flush;
    return kExitOk;
}

int run_status(const Context& ctx) {
    wire::UserInfo info;
    if (const int status = exchange(ctx, wire::UserStatus{}, info); status != kExitOk) return status;
    if (ctx.json) {
        print_json(ctx, user_info_json(info));
    } else {
        print_user_info(*ctx.out, info);
    }
    return kExitOk;
}

int run_resync(const Context& ctx, const std::string& user, const std::string& code1,
               const std::string& code2) {
    wire::AdminResync request;
    request.user = user;
    request.code1 = code1;
    request.code2 = code2;
    return run_done_command(ctx, request, user + " resynchronised.");
}

}  // namespace kotp::admin
