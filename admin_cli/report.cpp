#include "report.hpp"

#include "kotp/status.hpp"
#include "kotp/wipe.hpp"
#include "output.hpp"

namespace kotp::admin {

using nlohmann::json;

void print_json(const Context& ctx, const json& document) {
    std::string text = document.dump(2, ' ', false, json::error_handler_t::replace);
    *ctx.out << text << '\n' << std::flush;
    wipe(text);
}

int exit_status_for(wire::Status status) noexcept {
    switch (status) {
        case wire::Status::PermissionDenied:
            return kExitPermission;
        case wire::Status::UnknownUser:
            return kExitUnknownUser;
        default:
            return kExitRefused;
    }
}

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
    return exit_status_for(refusal.status);
}

}  // namespace kotp::admin
