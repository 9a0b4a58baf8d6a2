#include "request_handler.hpp"

#include "kotp/codec.hpp"
#include "kotp/status.hpp"
#include "log.hpp"

namespace kotp::otpd {
namespace {

HandlerResult refuse(wire::Status status, std::string text = {}) {
    return {error_frame(status, std::move(text)), true};
}

bool is_admin_request(wire::MessageType type) {
    const auto v = static_cast<std::uint16_t>(type);
    return v >= static_cast<std::uint16_t>(wire::MessageType::AdminEnroll) &&
           v <= static_cast<std::uint16_t>(wire::MessageType::AdminRekey);
}

// Decodes the payload as Message and runs fn on it; a decode error refuses the request.
template <typename Message, typename Fn>
HandlerResult with_decoded(std::span<const std::uint8_t> payload, Fn&& fn) {
    Message message;
    const auto error = wire::decode_payload(payload, message);
    if (error != wire::DecodeError::None)
        return refuse(wire::Status::ProtocolError, std::string("malformed request: ") + wire::to_string(error));
    return fn(message);
}

std::string peer_text(const Peer& peer) {
    return "uid=" + std::to_string(peer.uid) + " pid=" + std::to_string(peer.pid);
}

}  // namespace

HandlerResult RequestHandler::handle(const Peer& peer, SessionState& state, wire::MessageType type,
                                     std::span<const std::uint8_t> payload) noexcept {
    try {
        auto result = dispatch(peer, state, type, payload);
        storage_worked(type);
        return result;
    } catch (const StoreError& e) {
        storage_failed(e.what());
    } catch (const std::exception& e) {
        log_line(LogLevel::Error, std::string("KS1010 internal error, request refused: ") + e.what());
    } catch (...) {
        log_line(LogLevel::Error, "KS1010 unknown internal error, request refused");
    }
    try {
        // A login that could not be recorded fails closed: the module refuses the user.
        if (state.phase != SessionPhase::Idle) return internal_failure(wire::MessageType::AuthAnswer);
        return refuse(wire::Status::InternalError);
    } catch (...) {
        return {{}, true};
    }
}

HandlerResult RequestHandler::internal_failure(wire::MessageType type) const {
    if (type == wire::MessageType::AuthBegin || type == wire::MessageType::AuthAnswer) {
        wire::AuthStep step;
        step.outcome = wire::Outcome::Failure;
        step.status = wire::Status::InternalError;
        const auto t = describe(wire::Status::InternalError);
        step.text = std::string(t.id) + ": " + t.cause + " " + t.remedy;
        return {wire::encode_frame(step), true};
    }
    return refuse(wire::Status::InternalError);
}

HandlerResult RequestHandler::dispatch(const Peer& peer, SessionState& state, wire::MessageType type,
                                       std::span<const std::uint8_t> payload) {
    using T = wire::MessageType;
    if (auto throttled = throttle_uid(peer)) return std::move(*throttled);
    if (type == T::AuthBegin) {
        if (state.phase != SessionPhase::Idle) return refuse(wire::Status::ProtocolError, "login already begun");
        return with_decoded<wire::AuthBegin>(payload, [&](const auto& m) { return auth_begin(peer, state, m); });
    }
    if (type == T::AuthAnswer) {
        if (state.phase != SessionPhase::AwaitAnswer)
            return refuse(wire::Status::ProtocolError, "answer without a prompt");
        return with_decoded<wire::AuthAnswer>(payload, [&](const auto& m) { return auth_answer(peer, state, m); });
    }
    if (type == T::UserStatus) {
        if (state.phase != SessionPhase::Idle) return refuse(wire::Status::ProtocolError, "status inside a login");
        return with_decoded<wire::UserStatus>(payload, [&](const auto&) {
            return HandlerResult{admin_.user_status(peer), false};
        });
    }
    if (!is_admin_request(type)) {
        log_line(LogLevel::Warning, "KS1011 unknown request type " + std::to_string(static_cast<int>(type)) +
                                        " from " + peer_text(peer));
        return refuse(wire::Status::ProtocolError, "unknown request type");
    }
    if (state.phase != SessionPhase::Idle) return refuse(wire::Status::ProtocolError, "admin request inside a login");
    if (!authorizer_.may_administer(peer)) {
        refuse_permission(LoginContext{{}, "kotp-admin", {}, {}},
                          std::string("admin request refused for ") + peer_text(peer) + " (" + wire::to_string(type) + ")" +
                              ": not root and not in the admin group");
        return refuse(wire::Status::PermissionDenied);
    }
    switch (type) {
        case T::AdminEnroll:
            return with_decoded<wire::AdminEnroll>(payload, [&](const auto& m) {
                return HandlerResult{admin_.enroll(peer, m), false};
            });
        case T::AdminList:
            return with_decoded<wire::AdminList>(payload, [&](const auto& m) {
                return HandlerResult{admin_.list(m), false};
            });
        case T::AdminShow:
            return with_decoded<wire::AdminShow>(payload, [&](const auto& m) {
                return HandlerResult{admin_.show(m), false};
            });
        case T::AdminUnlock:
            return with_decoded<wire::AdminUnlock>(payload, [&](const auto& m) {
                return HandlerResult{admin_.unlock(peer, m), false};
            });
        case T::AdminSuspend:
            return with_decoded<wire::AdminSuspend>(payload, [&](const auto& m) {
                return HandlerResult{admin_.suspend(peer, m), false};
            });
        case T::AdminRemove:
            return with_decoded<wire::AdminRemove>(payload, [&](const auto& m) {
                return HandlerResult{admin_.remove(peer, m), false};
            });
        case T::AdminIssue:
            return with_decoded<wire::AdminIssue>(payload, [&](const auto& m) {
                return HandlerResult{admin_.issue(peer, m), false};
            });
        case T::AdminReset:
            return with_decoded<wire::AdminReset>(payload, [&](const auto& m) {
                return HandlerResult{admin_.reset(peer, m), false};
            });
        case T::AdminRecovery:
            return with_decoded<wire::AdminRecovery>(payload, [&](const auto& m) {
                return HandlerResult{admin_.recovery(peer, m), false};
            });
        case T::AdminExempt:
            return with_decoded<wire::AdminExempt>(payload, [&](const auto& m) {
                return HandlerResult{admin_.exempt(peer, m), false};
            });
        case T::AdminUnexempt:
            return with_decoded<wire::AdminUnexempt>(payload, [&](const auto& m) {
                return HandlerResult{admin_.unexempt(peer, m), false};
            });
        case T::AdminImport:
            return with_decoded<wire::AdminImport>(payload, [&](const auto& m) {
                return HandlerResult{admin_.import_tokens(peer, m), false};
            });
        case T::AdminResync:
            return with_decoded<wire::AdminResync>(payload, [&](const auto& m) {
                return HandlerResult{admin_.resync(peer, m), false};
            });
        case T::AdminLog:
            return with_decoded<wire::AdminLog>(payload, [&](const auto& m) {
                return HandlerResult{admin_.log(m), false};
            });
        case T::AdminStats:
            return with_decoded<wire::AdminStats>(payload, [&](const auto& m) {
                return HandlerResult{admin_.stats(m), false};
            });
        case T::AdminRekey:
            if (rekey_ == nullptr) return refuse(wire::Status::InternalError, "rekey is not available");
            return with_decoded<wire::AdminRekey>(payload, [&](const auto& m) {
                return HandlerResult{rekey_->handle(peer, m), false};
            });
        default: break;
    }
    return refuse(wire::Status::ProtocolError, "unknown request type");
}

HandlerResult RequestHandler::auth_begin(const Peer& peer, SessionState& state, const wire::AuthBegin& request) {
    state.login = LoginContext{request.user, request.service, request.rhost, request.tty};
    if (!authorizer_.may_verify_for(peer, request.user)) {
        refuse_permission(state.login,
                          "login check for user=" + quoted(request.user) + " refused for " + peer_text(peer) +
                              ": not root and not that user");
        return refuse(wire::Status::PermissionDenied);
    }
    if (!valid_user_name(request.user)) {
        log_line(LogLevel::Notice, "KS1014 login refused: invalid user name " + quoted(request.user) +
                                       " service=" + quoted(request.service) + " rhost=" + quoted(request.rhost));
        state.phase = SessionPhase::Finished;
        wire::AuthStep step;
        step.outcome = wire::Outcome::Failure;
        step.status = wire::Status::InvalidArgument;
        step.text = "KS1014: Invalid user name.";
        return {wire::encode_frame(step), true};
    }
    if (auto throttled = throttle_host(peer, state)) return std::move(*throttled);
    state.progress = LoginProgress{};
    state.progress.intent = request.intent;
    auto decision = verifier_.begin(state.login, state.progress);
    if (decision.reply.outcome == wire::Outcome::Prompt) {
        state.phase = SessionPhase::AwaitAnswer;
        return {wire::encode_frame(decision.reply), false, false};
    }
    state.phase = SessionPhase::Finished;
    log_outcome(peer, state.login, decision);
    return {wire::encode_frame(decision.reply), true};
}

HandlerResult RequestHandler::auth_answer(const Peer& peer, SessionState& state, const wire::AuthAnswer& request) {
    if (auto throttled = throttle_host(peer, state)) return std::move(*throttled);
    auto decision = verifier_.answer(state.login, request.response, state.progress);
    if (limits_ != nullptr && decision.failure_counted)
        limits_->host_failure(state.login.rhost, std::chrono::steady_clock::now());
    log_outcome(peer, state.login, decision);
    if (decision.reply.outcome == wire::Outcome::Prompt) return {wire::encode_frame(decision.reply), false};
    state.phase = SessionPhase::Finished;
    return {wire::encode_frame(decision.reply), true};
}

// A full or read-only disk fails every request until it is fixed: one error line when that
// starts and one when it ends, not one per login, so the log does not flood and the first line,
// which says why, stays easy to find.
void RequestHandler::storage_failed(const std::string& what) {
    if (refused_in_outage_++ == 0)
        log_line(LogLevel::Error, "KS1010 storage failure, refusing every request until it is fixed: " + what);
}

void RequestHandler::storage_worked(wire::MessageType type) {
    // Only a request that writes proves the store writable again: an answer always commits an
    // audit row, while a BEGIN that prompts, or an admin's read, may succeed on a read-only file
    // system.
    using T = wire::MessageType;
    if (refused_in_outage_ == 0 || type == T::AuthBegin || type == T::UserStatus || type == T::AdminList ||
        type == T::AdminShow || type == T::AdminLog || type == T::AdminStats)
        return;
    log_line(LogLevel::Notice, "KS1010 storage works again after " + std::to_string(refused_in_outage_) +
                                   " refused request(s)");
    refused_in_outage_ = 0;
}

std::uint32_t RequestHandler::max_payload(const Peer& peer, wire::MessageType type) const {
    if (type == wire::MessageType::AdminImport && authorizer_.may_administer(peer)) return wire::kMaxImportPayload;
    return wire::kMaxRequestPayload;
}

void RequestHandler::log_outcome(const Peer& peer, const LoginContext& login, const LoginDecision& decision) {
    const bool ok = decision.reply.outcome != wire::Outcome::Failure;
    const char* what = decision.reply.outcome == wire::Outcome::Success ? " login accepted"
                       : ok                                              ? " login step accepted"
                                                                         : " login refused";
    std::string line = std::string(describe(decision.reply.status).id) + what;
    line += " user=" + quoted(login.user) + " service=" + quoted(login.service) + " rhost=" + quoted(login.rhost) +
            " tty=" + quoted(login.tty) + " caller=" + peer_text(peer);
    if (decision.token_id != 0) line += " token=" + std::to_string(decision.token_id);
    if (!decision.detail.empty()) line += " (" + decision.detail + ")";
    log_line(ok ? LogLevel::Info : LogLevel::Notice, line);
}

// Logged and audited: a refused permission is someone probing what otpd lets them do.
void RequestHandler::refuse_permission(const LoginContext& login, std::string detail) {
    log_line(LogLevel::Warning, "KS1008 " + detail);
    LoginDecision decision;
    decision.reply.outcome = wire::Outcome::Failure;
    decision.reply.status = wire::Status::PermissionDenied;
    decision.detail = std::move(detail);
    verifier_.record_refusal(login, decision);
}

// Requests of an unprivileged uid beyond its rate are refused before anything else is done.
std::optional<HandlerResult> RequestHandler::throttle_uid(const Peer& peer) {
    if (limits_ == nullptr || authorizer_.is_privileged(peer)) return std::nullopt;
    const auto t = limits_->uid_request(peer.uid, std::chrono::steady_clock::now());
    // The admin group is looked up (NSS, maybe LDAP) only for a uid over its limit, so a normal
    // request costs no lookup; its members are never throttled.
    if (!t.refused || authorizer_.may_administer(peer)) return std::nullopt;
    if (t.log_now)
        log_line(LogLevel::Warning, "KS1016 requests refused for " + peer_text(peer) + ": over its rate limit (" +
                                        std::to_string(t.refused_count) + " refused since the last line)");
    return refuse(wire::Status::RequestLimit, "KS1016: Too many requests to the OTP service from this user; try again in " +
                                                  std::to_string(t.retry_after) + " seconds.");
}

// A source host over its failure limit is refused without its code being checked or counted
// against the user: one address must not be able to suspend many users quickly.
std::optional<HandlerResult> RequestHandler::throttle_host(const Peer& peer, SessionState& state) {
    if (limits_ == nullptr) return std::nullopt;
    const auto t = limits_->host_check(state.login.rhost, std::chrono::steady_clock::now());
    if (!t.refused) return std::nullopt;
    state.phase = SessionPhase::Finished;
    LoginDecision decision;
    decision.reply.outcome = wire::Outcome::Failure;
    decision.reply.status = wire::Status::HostThrottled;
    decision.reply.text = "KS1015: Too many failed attempts from your address; try again in " +
                          std::to_string(t.retry_after) + (t.retry_after == 1 ? " second." : " seconds.");
    if (t.log_now) {
        // Once per window per host, with the count of the refusals not logged since.
        decision.detail = "source host " + quoted(host_label(state.login.rhost)) + " throttled: " +
                          std::to_string(limits_->host_limit()) + " failed codes within " +
                          std::to_string(limits_->host_window().count()) + "s; " +
                          std::to_string(t.refused_count) + " attempt(s) refused without checking the code";
        log_outcome(peer, state.login, decision);
        verifier_.record_refusal(state.login, decision);
    }
    return HandlerResult{wire::encode_frame(decision.reply), true};
}

}  // namespace kotp::otpd
