#include "pam_checks.hpp"

#include <algorithm>
#include <map>

#include "pam_stack_walk.hpp"

namespace kotp::admin {
namespace {

constexpr const char* kKotpLine = "auth required pam_kotp.so";

std::string quoted(const std::string& text) {
    return "\"" + text + "\"";
}

Finding pam_finding(Severity severity, const PamStack& stack, const std::string& problem,
                    std::string where, std::string fix) {
    return Finding{"pam", severity, stack.service + ": " + problem, std::move(where),
                   std::move(fix)};
}

// Module arguments split as libpam does: blanks separate them, [brackets] keep blanks inside.
std::vector<std::string> split_arguments(const std::string& text) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ' || text[i] == '\t') {
            ++i;
            continue;
        }
        const std::size_t start = i;
        bool bracket = false;
        for (; i < text.size(); ++i) {
            if (text[i] == '[') bracket = true;
            if (text[i] == ']') bracket = false;
            if (!bracket && (text[i] == ' ' || text[i] == '\t')) break;
        }
        words.push_back(text.substr(start, i - start));
    }
    return words;
}

// The line as it should be: the same module path and arguments, control "required".
std::string required_line(const PamModule& module) {
    std::string line = "auth required " + module.module;
    if (!module.arguments.empty()) line += " " + module.arguments;
    return line;
}

// How the control reads in a sentence: "sufficient" or "the control [success=done ...]".
std::string control_phrase(const PamModule& module) {
    if (module.control_text.starts_with('[')) return "has the control " + module.control_text;
    return "is " + module.control_text;
}

std::string when_it_returns(const PamModule& module, PamResult result) {
    if (result == PamResult::Success) return "when " + module.file_name() + " succeeds";
    return "when " + module.file_name() + " returns " + to_string(result);
}

// What a pam_kotp.so return value means, for the sysadmin.
const char* meaning(PamResult result) {
    switch (result) {
        case PamResult::AuthErr:
            return "wrong code";
        case PamResult::Maxtries:
            return "suspended user";
        case PamResult::AuthinfoUnavail:
            return "otpd unreachable";
        case PamResult::ConvErr:
            return "no way to prompt";
        case PamResult::UserUnknown:
            return "unknown user";
        case PamResult::ServiceErr:
            return "internal error";
        default:
            return "failure";
    }
}

bool ignores_failure(const PamModule& kotp, PamResult result) {
    const auto kind = kotp.control.actions[static_cast<std::size_t>(result)].kind;
    return kind == PamAction::Ignore || kind == PamAction::Jump || kind == PamAction::Reset;
}

Finding kotp_ignored_finding(const PamStack& stack, const PamModule& kotp,
                             const std::vector<PamResult>& results) {
    std::string which;
    for (const PamResult result : results)
        which += std::string(which.empty() ? "" : ", ") + to_string(result) + " (" +
                 meaning(result) + ")";
    const bool all = results.size() == kotp_failures().size();
    std::string problem = "pam_kotp.so " + control_phrase(kotp) + ": PAM ";
    problem += all ? "ignores its failure, so a wrong code does not stop a login that another "
                     "module accepts"
                   : "goes on when it returns " + which + ", so such a login needs no valid code";
    return pam_finding(Severity::Error, stack, problem, kotp.where,
                       "change that line to " + quoted(required_line(kotp)));
}

Finding bypass_finding(const PamStack& stack, const PamBypass& bypass) {
    const PamModule& by = stack.auth[bypass.by];
    const PamModule& kotp = stack.auth[bypass.kotp];
    switch (bypass.kind) {
        case PamBypass::EndedBefore:
            return pam_finding(
                Severity::Error, stack,
                by.file_name() + " " + control_phrase(by) + ": " +
                    when_it_returns(by, bypass.result) +
                    ", PAM ends the auth stack before pam_kotp.so (" + kotp.where +
                    "), so that login needs no code",
                by.where,
                "make that line required, or move " + quoted(required_line(kotp)) + " above it");
        case PamBypass::JumpedOver:
            return pam_finding(
                Severity::Error, stack,
                by.file_name() + " " + control_phrase(by) + ": " +
                    when_it_returns(by, bypass.result) + ", PAM jumps over pam_kotp.so (" +
                    kotp.where + "), so that login needs no code",
                by.where,
                "make the jump land on or before pam_kotp.so, or move pam_kotp.so after "
                "the line the jump lands on (on Debian: after pam_permit.so in "
                "common-auth, which \"pam-auth-update --enable kotp\" does)");
        case PamBypass::ResetAfterKotp:
            return pam_finding(Severity::Error, stack,
                               by.file_name() + " " + control_phrase(by) + ": its reset " +
                                   when_it_returns(by, bypass.result) +
                                   " forgets that pam_kotp.so failed, so a wrong code can log in",
                               by.where, "remove the reset action from that control");
        case PamBypass::KotpIgnored:
            break;  // gathered per pam_kotp.so line by the caller
    }
    return kotp_ignored_finding(stack, kotp, {bypass.result});
}

Finding absent_finding(const PamStack& stack) {
    std::string fix;
    if (stack.service == "sshd")
        fix = "in " + stack.file + ": for key + code, replace \"@include common-auth\" by " +
              quoted(kKotpLine) + "; for password + code, add " + quoted(kKotpLine) +
              " after \"@include common-auth\"";
    else
        fix = "add " + quoted(kKotpLine) + " after \"@include common-auth\" in " + stack.file +
              ", or run \"pam-auth-update --enable kotp\" (adds it to common-auth for every "
              "service that includes it)";
    return pam_finding(Severity::Error, stack,
                       "pam_kotp.so is not in the auth stack (" + stack.file +
                           " and the files it includes): these logins are never asked for a code",
                       stack.file, fix);
}

void check_kotp_lines(const PamStack& stack, const PamWalk& walk, Findings& out) {
    for (std::size_t i = 0; i < stack.auth.size(); ++i) {
        const PamModule& kotp = stack.auth[i];
        if (!kotp.is_kotp()) continue;
        if (kotp.may_be_missing)
            out.push_back(
                pam_finding(Severity::Warning, stack,
                            "\"-auth\" makes libpam drop the pam_kotp.so line silently when the "
                            "module cannot be "
                            "loaded (not installed, wrong path): logins then need no code",
                            kotp.where, "remove the leading '-': " + quoted(required_line(kotp))));
        const auto words = split_arguments(kotp.arguments);
        if (std::find(words.begin(), words.end(), "failmode=open") != words.end())
            out.push_back(pam_finding(
                Severity::Warning, stack,
                "pam_kotp.so has failmode=open: while otpd is down or unreachable, logins go "
                "through without a code (logged at LOG_ALERT each time)",
                kotp.where,
                "remove failmode=open (the default, failmode=closed, refuses those logins)"));
        if (!walk.reached[i] && walk.can_succeed) continue;  // the bypass findings say why
        if (!walk.reached[i])
            out.push_back(pam_finding(
                Severity::Error, stack,
                "pam_kotp.so is never reached: every path through the auth stack ends before it, "
                "so every login is refused",
                kotp.where,
                "look at the lines above it (listed below): one always stops the stack"));
    }
}

// pam_kotp.so lines whose control goes on after a failure, whether or not another module can
// make the stack succeed today: the next module added would.
void check_ignored_failures(const PamStack& stack, const PamWalk& walk, Findings& out) {
    std::map<std::size_t, std::vector<PamResult>> ignored;  // pam_kotp.so line -> results
    for (const PamBypass& bypass : walk.bypasses)
        if (bypass.kind == PamBypass::KotpIgnored) ignored[bypass.kotp].push_back(bypass.result);
    for (const auto& [index, results] : ignored)
        out.push_back(kotp_ignored_finding(stack, stack.auth[index], results));
    if (!ignored.empty()) return;
    bool enforced = false;
    const PamModule* lax = nullptr;
    for (const PamModule& module : stack.auth) {
        if (!module.is_kotp()) continue;
        const auto& failures = kotp_failures();
        if (std::none_of(failures.begin(), failures.end(),
                         [&](PamResult r) { return ignores_failure(module, r); }))
            enforced = true;
        else if (lax == nullptr)
            lax = &module;
    }
    if (enforced || lax == nullptr) return;
    out.push_back(pam_finding(Severity::Warning, stack,
                              "pam_kotp.so " + control_phrase(*lax) +
                                  ": PAM ignores its failure; no login gets through that way in "
                                  "this stack today, but one will as soon as another auth "
                                  "module around it succeeds",
                              lax->where, "change that line to " + quoted(required_line(*lax))));
}

}  // namespace

Findings check_pam_stack(const PamStack& stack) {
    Findings findings;
    if (!stack.exists) {
        const bool missing = stack.error == "No such file or directory";
        findings.push_back(pam_finding(
            Severity::Error, stack,
            missing ? "the PAM service file " + stack.file +
                          " does not exist: libpam uses \"other\" for these logins, which doctor "
                          "does not check"
                    : "cannot read " + stack.file + ": " + stack.error,
            stack.file,
            "create " + stack.file + " with " + quoted(kKotpLine) +
                " in its auth stack (see /usr/share/doc/libpam-kotp/examples/pam.d/sshd), or "
                "choose the services to check with --services"));
        return findings;
    }
    for (const PamProblem& problem : stack.problems)
        findings.push_back(pam_finding(Severity::Error, stack, problem.message, problem.where,
                                       "correct or remove that line"));
    if (std::none_of(stack.auth.begin(), stack.auth.end(),
                     [](const PamModule& m) { return m.is_kotp(); })) {
        findings.push_back(absent_finding(stack));
        return findings;
    }
    const PamWalk walk = walk_auth_stack(stack.auth);
    std::vector<const PamBypass*> reported;  // one finding per line, whatever it returned
    for (const PamBypass& bypass : walk.bypasses) {
        if (bypass.kind == PamBypass::KotpIgnored) continue;
        if (std::any_of(reported.begin(), reported.end(), [&](const PamBypass* seen) {
                return seen->kind == bypass.kind && seen->by == bypass.by &&
                       seen->kotp == bypass.kotp;
            }))
            continue;
        reported.push_back(&bypass);
        findings.push_back(bypass_finding(stack, bypass));
    }
    check_ignored_failures(stack, walk, findings);
    check_kotp_lines(stack, walk, findings);
    bool kotp_reached = false;
    for (std::size_t i = 0; i < stack.auth.size(); ++i)
        kotp_reached = kotp_reached || (stack.auth[i].is_kotp() && walk.reached[i]);
    if (!walk.can_succeed && kotp_reached && stack.problems.empty())
        findings.push_back(pam_finding(Severity::Error, stack,
                                       "the auth stack can never succeed: every path through it "
                                       "ends in a failure, so every login is refused",
                                       stack.file,
                                       "look for a module that always fails (pam_deny.so) and for "
                                       "jumps that land on it; the stack is listed below"));
    return findings;
}

std::string describe_auth_stack(const PamStack& stack) {
    std::string text;
    for (const PamModule& module : stack.auth) {
        if (module.substack_entry) continue;
        if (!text.empty()) text += ", ";
        text += (module.may_be_missing ? "-" : "") + module.file_name() + " " + module.control_text;
    }
    return text.empty() ? "(no auth modules)" : text;
}

std::vector<KotpSocketArgument> kotp_socket_arguments(const PamStack& stack) {
    std::vector<KotpSocketArgument> sockets;
    for (const PamModule& module : stack.auth) {
        if (!module.is_kotp()) continue;
        for (const std::string& word : split_arguments(module.arguments))
            if (word.starts_with("socket=")) sockets.push_back({word.substr(7), module.where});
    }
    return sockets;
}

}  // namespace kotp::admin
