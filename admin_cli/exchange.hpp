// One request, one reply: the exchange every kotp-admin command makes with otpd, and the
// common case of a command answered with Done. Templates, shared by the command files.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "kotp/client.hpp"
#include "kotp/messages.hpp"
#include "kotp/status.hpp"
#include "kotp/wipe.hpp"
#include "output.hpp"
#include "report.hpp"

namespace kotp::admin {

inline std::string describe_type(wire::MessageType type) {
    return std::string(wire::to_string(type)) + " (type " + std::to_string(static_cast<unsigned>(type)) +
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

}  // namespace kotp::admin
