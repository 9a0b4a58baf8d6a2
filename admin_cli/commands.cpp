#include "commands.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "kotp/client.hpp"
#include "kotp/messages.hpp"
#include "kotp/status.hpp"
#include "kotp/wipe.hpp"
#include "exchange.hpp"
#include "output.hpp"
#include "qr_png.hpp"
#include "qr_terminal.hpp"
#include "report.hpp"

namespace kotp::admin {
namespace {

using nlohmann::json;

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
int show_activation(const Context& ctx, const wire::ActivationIssued& issued,
                    std::string_view preamble) {
    if (issued.code.empty() || issued.expires == 0)
        return fail_protocol(ctx, "the ActivationIssued reply has no code or no expiry");
    if (ctx.json) {
        json document{
            {"user", issued.user}, {"code", issued.code}, {"expires", json_time(issued.expires)}};
        print_json(ctx, document);
        wipe(document["code"].get_ref<std::string&>());
        return kExitOk;
    }
    *ctx.out << preamble << "Activation code for " << printable(issued.user) << ": "
             << printable(issued.code) << "\nValid until " << format_local_time(issued.expires)
             << ", usable once.\nThe user types it at the next login (or runs 'kotp enroll'), "
                "scans the QR code\nshown and confirms with the first code from the app.\n"
             << std::flush;
    return kExitOk;
}

// Digits, then an optional unit; the value is bounded before it is multiplied.
constexpr std::size_t kMaxValidityDigits = 9;

}  // namespace

std::optional<std::uint32_t> parse_validity(const std::string& text) {
    if (text.empty()) return std::nullopt;
    static constexpr std::string_view kUnits = "smhd";
    static constexpr std::uint64_t kUnitSeconds[] = {1, 60, 3600, 86400};
    std::string_view digits = text;
    std::uint64_t unit = 1;
    if (const std::size_t u = kUnits.find(text.back()); u != std::string_view::npos) {
        unit = kUnitSeconds[u];
        digits.remove_suffix(1);
    }
    if (digits.empty() || digits.size() > kMaxValidityDigits ||
        digits.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    const std::uint64_t seconds = std::stoull(std::string(digits)) * unit;
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
                           "Revoked every token and every recovery code of " + printable(user) +
                               " and lifted any suspension:\ntheir old codes no longer work.\n");
}

int run_recovery(const Context& ctx, const std::string& user) {
    wire::AdminRecovery request;
    request.user = user;
    wire::RecoveryCodes reply;
    if (const int status = exchange(ctx, request, reply); status != kExitOk) return status;
    if (reply.codes.empty()) return fail_protocol(ctx, "the RecoveryCodes reply holds no code");
    if (ctx.json) {
        json document{{"user", reply.user}, {"codes", reply.codes}};
        print_json(ctx, document);
        for (auto& code : document["codes"]) wipe(code.get_ref<std::string&>());
        return kExitOk;
    }
    *ctx.out << "New recovery codes for " << printable(reply.user) << ":\n";
    for (const auto& code : reply.codes) *ctx.out << "  " << printable(code) << '\n';
    *ctx.out
        << "They replace any earlier set, which no longer works. Each code works once, in\n"
           "place of a code from the app. Hand them over privately; they are not shown again.\n"
        << std::flush;
    return kExitOk;
}

int run_status(const Context& ctx) {
    wire::UserInfo info;
    if (const int status = exchange(ctx, wire::UserStatus{}, info); status != kExitOk)
        return status;
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
