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
    *ctx.err << "kotp-admin: " << message << '\n' << std::flush;
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
    *ctx.err << "kotp-admin: " << text.id << ": " << message << '\n' << std::flush;
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

}  // namespace kotp::admin
