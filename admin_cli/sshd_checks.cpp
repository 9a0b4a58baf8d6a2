#include "sshd_checks.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <string_view>

#include "doctor_files.hpp"

namespace kotp::admin {
namespace {

constexpr const char* kRecommendedMethods = "publickey,keyboard-interactive";
constexpr const char* kReload =
    "then check with \"sshd -t\" and reload sshd (systemctl reload ssh)";

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

Finding sshd_finding(Severity severity, std::string problem, std::string where, std::string fix) {
    return Finding{"sshd", severity, std::move(problem), std::move(where), std::move(fix)};
}

// Where a line that is not set anywhere should go: the kotp drop-in when the main file includes
// sshd_config.d/*.conf outside a Match block (Debian's layout), else the main file itself.
std::string add_line_place(const SshdConfig& config) {
    const std::string drop_in = config.base_folder + "/sshd_config.d/kotp.conf";
    for (const std::string& pattern : config.global_includes)
        if (::fnmatch(pattern.c_str(), drop_in.c_str(), FNM_PATHNAME) == 0) return drop_in;
    return config.main_file + " (above any Match block)";
}

// The fix for a keyword: change the line that wins, or add one. Later occurrences are named,
// since an admin who already wrote the right value elsewhere needs to know why it has no effect.
std::string fix_for(const SshdConfig& config, const SshdSetting* winner,
                    const std::string& canonical, const std::string& right_line,
                    const std::string& note = "") {
    const std::string first = winner == nullptr
                                  ? "add " + quoted(right_line) + " to " + add_line_place(config)
                                  : "change that line to " + quoted(right_line);
    std::string fix = note.empty() ? first : first + "\n" + note;
    if (winner == nullptr) return fix + "\n" + kReload;
    for (const SshdSetting* later : config.occurrences(canonical))
        if (later != winner)
            fix += "\nthe later " + quoted(later->keyword + " " + later->value()) + " at " +
                   later->where() + " has no effect: sshd uses the first value it reads";
    return fix + "\n" + kReload;
}

std::vector<std::string> split_commas(const std::string& list) {
    std::vector<std::string> methods;
    std::size_t start = 0;
    for (;;) {
        const auto comma = list.find(',', start);
        methods.push_back(list.substr(start, comma - start));
        if (comma == std::string::npos) return methods;
        start = comma + 1;
    }
}

// "keyboard-interactive" or "keyboard-interactive:pam".
bool is_keyboard_interactive(std::string_view method) {
    return method == "keyboard-interactive" || method.starts_with("keyboard-interactive:");
}

bool has_keyboard_interactive(const std::string& list) {
    const auto methods = split_commas(list);
    return std::any_of(methods.begin(), methods.end(),
                       [](const std::string& m) { return is_keyboard_interactive(m); });
}

bool has_method(const std::string& list, std::string_view wanted) {
    const auto methods = split_commas(list);
    return std::any_of(methods.begin(), methods.end(), [wanted](const std::string& m) {
        return m == wanted || m.starts_with(std::string(wanted) + ":");
    });
}

// The same list with the code step: a password step becomes keyboard-interactive (PAM asks the
// password and then the code), anything else gets keyboard-interactive after it.
std::string with_keyboard_interactive(const std::string& list) {
    std::string fixed;
    bool replaced = false;
    for (const std::string& method : split_commas(list)) {
        std::string step = method;
        if (method == "password") {
            if (replaced) continue;
            step = "keyboard-interactive";
            replaced = true;
        }
        fixed += (fixed.empty() ? "" : ",") + step;
    }
    return replaced ? fixed : fixed + ",keyboard-interactive";
}

// What a list without keyboard-interactive lets in, for the problem line.
std::string lets_in(const std::string& list) {
    if (has_method(list, "publickey")) return "an SSH key alone logs in, without a code";
    if (has_method(list, "password"))
        return "the password method never lets pam_kotp.so ask for a code (a password alone may "
               "log in)";
    if (has_method(list, "hostbased")) return "a trusted host alone logs in, without a code";
    if (has_method(list, "gssapi-with-mic"))
        return "a Kerberos ticket alone logs in, without a code";
    return "it logs in without a code";
}

bool lets_single_method_in(const std::vector<std::string>& lists) {
    return lists.empty() || (lists.size() == 1 && ascii_lower(lists.front()) == "any");
}

void check_use_pam(const SshdConfig& config, Findings& out) {
    const SshdSetting* setting = config.effective("usepam");
    if (setting != nullptr && ascii_lower(setting->value()) == "yes") return;
    std::string problem = setting != nullptr
                              ? "UsePAM is " + setting->value()
                              : std::string("UsePAM is not set, and sshd's default is no");
    problem += ": sshd never runs the PAM stack, so pam_kotp.so is never asked for a code";
    out.push_back(sshd_finding(Severity::Error, std::move(problem),
                               setting != nullptr ? setting->where() : config.main_file,
                               fix_for(config, setting, "usepam", "UsePAM yes")));
}

void check_keyboard_interactive(const SshdConfig& config, Findings& out) {
    const SshdSetting* setting = config.effective("kbdinteractiveauthentication");
    if (setting == nullptr || ascii_lower(setting->value()) != "no") return;  // the default is yes
    std::string problem = setting->keyword + " is no";
    if (ascii_lower(setting->keyword) == "challengeresponseauthentication")
        problem += " (the old name of KbdInteractiveAuthentication)";
    problem +=
        ": sshd never runs the keyboard-interactive step in which pam_kotp.so asks for the code";
    out.push_back(sshd_finding(Severity::Error, std::move(problem), setting->where(),
                               fix_for(config, setting, "kbdinteractiveauthentication",
                                       "KbdInteractiveAuthentication yes")));
}

void check_authentication_methods(const SshdConfig& config, Findings& out) {
    const SshdSetting* setting = config.effective("authenticationmethods");
    const std::vector<std::string> lists =
        setting != nullptr ? setting->args : std::vector<std::string>{};
    const std::string right_line = std::string("AuthenticationMethods ") + kRecommendedMethods;
    if (lets_single_method_in(lists)) {
        std::string problem = setting != nullptr ? "AuthenticationMethods is any"
                                                 : "AuthenticationMethods is not set (any)";
        problem += ": one method is enough, so an SSH key alone logs in without a code";
        out.push_back(sshd_finding(Severity::Error, std::move(problem),
                                   setting != nullptr ? setting->where() : config.main_file,
                                   fix_for(config, setting, "authenticationmethods", right_line,
                                           "(key + code; \"AuthenticationMethods "
                                           "keyboard-interactive\" for password + code)")));
        return;
    }
    std::string fixed_line = "AuthenticationMethods";
    for (const std::string& list : lists)
        fixed_line +=
            " " + (has_keyboard_interactive(list) ? list : with_keyboard_interactive(list));
    for (const std::string& list : lists) {
        if (has_keyboard_interactive(list)) continue;
        out.push_back(sshd_finding(Severity::Error,
                                   "AuthenticationMethods list " + quoted(list) +
                                       " has no keyboard-interactive step: " + lets_in(list),
                                   setting->where(),
                                   fix_for(config, setting, "authenticationmethods", fixed_line)));
    }
}

// The AuthenticationMethods lists in force for users of a Match block.
std::vector<std::string> methods_for(const SshdConfig& config, const SshdMatchBlock& block) {
    for (const SshdSetting& setting : block.settings)
        if (setting.canonical == "authenticationmethods") return setting.args;
    const SshdSetting* global = config.effective("authenticationmethods");
    return global != nullptr ? global->args : std::vector<std::string>{};
}

bool password_alone_allowed(const std::vector<std::string>& lists) {
    if (lets_single_method_in(lists)) return true;
    return std::any_of(lists.begin(), lists.end(), [](const std::string& list) {
        return has_method(list, "password") && !has_keyboard_interactive(list);
    });
}

// A Match block may set these for some users; only a value that can weaken the code is reported.
void check_match_setting(const SshdConfig& config, const SshdMatchBlock& block,
                         const SshdSetting& setting, Findings& out) {
    const std::string who = "Match " + block.criteria + " (" + block.where() + ")";
    const std::string value = ascii_lower(setting.value());
    const std::string written = quoted(setting.keyword + " " + setting.value());
    if (setting.canonical == "usepam") {
        out.push_back(sshd_finding(Severity::Error,
                                   who + " sets UsePAM, which sshd does not allow in a Match "
                                         "block: sshd refuses to start with this configuration",
                                   setting.where(),
                                   "remove that line; set \"UsePAM yes\" outside any Match block"));
    } else if (setting.canonical == "kbdinteractiveauthentication" && value == "no") {
        out.push_back(sshd_finding(
            Severity::Warning,
            who + " sets " + written + ": the users it matches are never asked for the code",
            setting.where(),
            "remove that line, or change it to "
            "\"KbdInteractiveAuthentication yes\""));
    } else if (setting.canonical == "authenticationmethods") {
        for (const std::string& list : setting.args) {
            if (!lets_single_method_in(setting.args) && has_keyboard_interactive(list)) continue;
            const std::string consequence = lets_single_method_in(setting.args)
                                                ? "one method is enough, so a key alone logs in"
                                                : lets_in(list);
            out.push_back(
                sshd_finding(Severity::Warning,
                             who + " sets " + written + " for the users it matches: " + consequence,
                             setting.where(),
                             std::string("change it to \"AuthenticationMethods ") +
                                 kRecommendedMethods + "\" unless this exemption is intended"));
            break;  // one warning per line is enough
        }
    } else if (setting.canonical == "passwordauthentication" && value == "yes" &&
               password_alone_allowed(methods_for(config, block))) {
        out.push_back(
            sshd_finding(Severity::Warning,
                         who + " sets " + written +
                             " while AuthenticationMethods lets a password in without "
                             "keyboard-interactive: the users it matches may log in "
                             "with a password alone",
                         setting.where(),
                         "remove that line, or give that Match block \"AuthenticationMethods "
                         "keyboard-interactive\" (PAM then asks the password and the code)"));
    }
}

void check_match_blocks(const SshdConfig& config, Findings& out) {
    for (const SshdMatchBlock& block : config.match_blocks) {
        std::vector<std::string> seen;  // the first value of a keyword in a block wins there too
        for (const SshdSetting& setting : block.settings) {
            if (std::find(seen.begin(), seen.end(), setting.canonical) != seen.end()) continue;
            seen.push_back(setting.canonical);
            check_match_setting(config, block, setting, out);
        }
    }
}

}  // namespace

Findings check_sshd_config(const SshdConfig& config) {
    Findings findings;
    if (!config.main_file_read) {
        const std::string reason = config.problems.empty() ? std::string("cannot read it")
                                                           : config.problems.front().message;
        findings.push_back(sshd_finding(
            Severity::Error, reason + ": doctor cannot check sshd", config.main_file,
            "give the right file with --sshd-config FILE, or --skip sshd on a host without sshd"));
        return findings;
    }
    for (const SshdConfigProblem& problem : config.problems)
        findings.push_back(sshd_finding(Severity::Error,
                                        problem.message + " (sshd -t refuses it too)",
                                        problem.where, "correct or remove that line"));
    check_use_pam(config, findings);
    check_keyboard_interactive(config, findings);
    check_authentication_methods(config, findings);
    check_match_blocks(config, findings);
    return findings;
}

}  // namespace kotp::admin
