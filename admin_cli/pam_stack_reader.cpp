#include "pam_stack_reader.hpp"

#include <algorithm>
#include <charconv>

#include "doctor_files.hpp"

namespace kotp::admin {
namespace {

// libpam's PAM_SUBSTACK_MAX_LEVEL: it refuses deeper include/substack nesting.
constexpr std::size_t kMaxIncludeDepth = 16;

constexpr std::array<const char*, kPamResultCount> kResultNames = {"success",
                                                                   "open_err",
                                                                   "symbol_err",
                                                                   "service_err",
                                                                   "system_err",
                                                                   "buf_err",
                                                                   "perm_denied",
                                                                   "auth_err",
                                                                   "cred_insufficient",
                                                                   "authinfo_unavail",
                                                                   "user_unknown",
                                                                   "maxtries",
                                                                   "new_authtok_reqd",
                                                                   "acct_expired",
                                                                   "session_err",
                                                                   "cred_unavail",
                                                                   "cred_expired",
                                                                   "cred_err",
                                                                   "no_module_data",
                                                                   "conv_err",
                                                                   "authtok_err",
                                                                   "authtok_recover_err",
                                                                   "authtok_lock_busy",
                                                                   "authtok_disable_aging",
                                                                   "try_again",
                                                                   "ignore",
                                                                   "abort",
                                                                   "authtok_expired",
                                                                   "module_unknown",
                                                                   "bad_item",
                                                                   "conv_again",
                                                                   "incomplete"};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::size_t index_of(PamResult result) {
    return static_cast<std::size_t>(result);
}

void fill(PamControl& control, PamAction action) {
    for (std::size_t i = 0; i < kPamResultCount; ++i)
        if (!control.named[i]) control.actions[i] = action;
}

// The simple words, as libpam expands them (pam.conf(5)).
std::optional<PamControl> simple_control(const std::string& word) {
    PamControl control;
    const PamAction ok{PamAction::Ok, 0};
    const PamAction done{PamAction::Done, 0};
    const PamAction ignore{PamAction::Ignore, 0};
    PamAction success = ok;
    PamAction otherwise = ignore;
    if (word == "required" || word == "requisite") {
        otherwise =
            word == "required" ? PamAction{PamAction::Bad, 0} : PamAction{PamAction::Die, 0};
        control.actions[index_of(PamResult::Ignore)] = ignore;
        control.named[index_of(PamResult::Ignore)] = true;
    } else if (word == "sufficient") {
        success = done;
    } else if (word != "optional") {
        return std::nullopt;
    }
    for (const PamResult named : {PamResult::Success, PamResult::NewAuthtokReqd}) {
        control.actions[index_of(named)] = success;
        control.named[index_of(named)] = true;
    }
    fill(control, otherwise);
    control.named = {};  // none of these was written in brackets
    return control;
}

std::optional<PamAction> parse_action(std::string_view text) {
    const std::string word = ascii_lower(text);
    if (word == "ignore") return PamAction{PamAction::Ignore, 0};
    if (word == "ok") return PamAction{PamAction::Ok, 0};
    if (word == "done") return PamAction{PamAction::Done, 0};
    if (word == "bad") return PamAction{PamAction::Bad, 0};
    if (word == "die") return PamAction{PamAction::Die, 0};
    if (word == "reset") return PamAction{PamAction::Reset, 0};
    int jump = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), jump);
    if (ec == std::errc() && end == text.data() + text.size() && jump > 0)
        return PamAction{PamAction::Jump, jump};
    return std::nullopt;
}

// "[value=action ...]": unnamed values take default=, else bad (libpam's rule).
std::optional<PamControl> bracket_control(std::string_view text, std::string& error) {
    PamControl control;
    std::optional<PamAction> fallback;
    text = text.substr(1, text.size() - 2);
    std::size_t i = 0;
    while (i < text.size()) {
        if (is_space(text[i])) {
            ++i;
            continue;
        }
        const std::size_t start = i;
        while (i < text.size() && !is_space(text[i])) ++i;
        const std::string_view pair = text.substr(start, i - start);
        const auto equals = pair.find('=');
        const std::string key = ascii_lower(pair.substr(0, equals));
        const auto action =
            equals == std::string_view::npos ? std::nullopt : parse_action(pair.substr(equals + 1));
        const auto* name = std::find(kResultNames.begin(), kResultNames.end(), key);
        if (!action || (key != "default" && name == kResultNames.end())) {
            error = "libpam does not understand \"" + std::string(pair) + "\"";
            return std::nullopt;
        }
        if (key == "default") {
            fallback = action;
            continue;
        }
        const auto index = static_cast<std::size_t>(name - kResultNames.begin());
        control.actions[index] = *action;
        control.named[index] = true;
    }
    fill(control, fallback.value_or(PamAction{PamAction::Bad, 0}));
    return control;
}

// One logical line: the words up to the module, and the module's arguments as written.
struct PamLine {
    int number = 0;
    std::string type;
    std::string control;
    std::string module;
    std::string arguments;
};

// A word, or a whole [bracket] (libpam's tokenizer keeps "[a=b c=d]" together).
std::string next_word(const std::string& line, std::size_t& i) {
    while (i < line.size() && is_space(line[i])) ++i;
    const std::size_t start = i;
    if (i < line.size() && line[i] == '[') {
        while (i < line.size() && line[i] != ']')
            i += (line[i] == '\\' && i + 1 < line.size()) ? 2U : 1U;
        if (i < line.size()) ++i;
    } else {
        while (i < line.size() && !is_space(line[i])) ++i;
    }
    return line.substr(start, i - start);
}

// Joins backslash continuations and cuts '#' comments, as libpam does: a '#' ends the line
// wherever it is, and a line starting with '#' is a comment even when it ends in a backslash.
std::vector<PamLine> logical_lines(const std::string& text) {
    std::vector<PamLine> lines;
    const std::vector<std::string> physical = split_lines(text);
    for (std::size_t n = 0; n < physical.size(); ++n) {
        std::string joined;
        const int first = static_cast<int>(n) + 1;
        for (;; ++n) {
            std::string part = physical[n];
            const auto hash = part.find('#');
            const bool comment = hash != std::string::npos;
            if (comment) part.erase(hash);
            while (!part.empty() && is_space(part.back())) part.pop_back();
            const bool continued =
                !comment && !part.empty() && part.back() == '\\' && n + 1 < physical.size();
            if (continued) part.back() = ' ';
            joined += part;
            if (!continued) break;
        }
        std::size_t i = 0;
        PamLine line;
        line.number = first;
        line.type = next_word(joined, i);
        if (line.type.empty()) continue;
        if (line.type != "@include") line.control = next_word(joined, i);
        line.module = next_word(joined, i);
        while (i < joined.size() && is_space(joined[i])) ++i;
        line.arguments = joined.substr(i);
        lines.push_back(std::move(line));
    }
    return lines;
}

class StackBuilder {
  public:
    StackBuilder(PamStack& stack, std::string pam_dir)
        : stack_(stack), pam_dir_(std::move(pam_dir)) {}

    // Reads `path` into the stack at `level`; false when it cannot be read.
    bool read(const std::string& path, int level) {
        const TextFile file = read_text_file(path);
        if (!file.ok) return false;
        chain_.push_back(path);
        for (const PamLine& line : logical_lines(file.text)) add_line(path, line, level);
        chain_.pop_back();
        return true;
    }

  private:
    void add_line(const std::string& path, const PamLine& line, int level) {
        const std::string where = path + ":" + std::to_string(line.number);
        if (line.type == "@include") {
            include(line.module, level, where);
            return;
        }
        const bool may_be_missing = line.type.starts_with('-');
        const std::string type = ascii_lower(may_be_missing ? line.type.substr(1) : line.type);
        const bool known =
            type == "auth" || type == "account" || type == "session" || type == "password";
        if (!known) {
            // libpam installs a line of unknown type in the auth stack, failing (pam_handlers.c).
            problem(where, "unknown module type \"" + line.type +
                               "\": libpam makes this line fail every login");
            add_failing(where, line);
            return;
        }
        if (type != "auth") return;
        const std::string control = ascii_lower(line.control);
        if (control == "include" || control == "substack") {
            if (control == "substack") {
                PamModule entry;
                entry.level = level;
                entry.substack_entry = true;
                entry.module = line.module;
                entry.control_text = line.control;
                entry.where = where;
                stack_.auth.push_back(std::move(entry));
            }
            include(line.module, control == "substack" ? level + 1 : level, where);
            return;
        }
        std::string error;
        const auto parsed = line.control.starts_with('[') && line.control.ends_with(']')
                                ? bracket_control(line.control, error)
                                : simple_control(control);
        if (!parsed || line.module.empty()) {
            problem(where, line.module.empty() ? std::string("no module named on this line")
                                               : "unknown control \"" + line.control + "\"" +
                                                     (error.empty() ? "" : ": " + error));
            add_failing(where, line);
            return;
        }
        PamModule module;
        module.level = level;
        module.may_be_missing = may_be_missing;
        module.module = line.module;
        module.arguments = line.arguments;
        module.control_text = line.control;
        module.control = *parsed;
        module.where = where;
        stack_.auth.push_back(std::move(module));
    }

    void include(const std::string& name, int level, const std::string& where) {
        const std::string path = name.starts_with('/') ? name : pam_dir_ + "/" + name;
        PamLine failing;
        failing.module = name;
        failing.control = "include";
        if (std::find(chain_.begin(), chain_.end(), path) != chain_.end()) {
            std::string loop;
            for (const std::string& file : chain_) loop += file + " -> ";
            problem(where, "include loop: " + loop + path + ": libpam fails every login through " +
                               stack_.service);
            add_failing(where, failing);
        } else if (chain_.size() >= kMaxIncludeDepth) {
            problem(where, "includes nested more than " + std::to_string(kMaxIncludeDepth) +
                               " deep: libpam fails every login through " + stack_.service);
            add_failing(where, failing);
        } else if (!read(path, level)) {
            const TextFile file = read_text_file(path);
            problem(where, "cannot read included " + path + " (" + file.error +
                               "): libpam fails every login through " + stack_.service);
            add_failing(where, failing);
        }
    }

    void problem(const std::string& where, std::string message) {
        stack_.problems.push_back({where, std::move(message), true});
    }

    // A line libpam keeps but cannot run: it returns PAM_PERM_DENIED, and every value is "bad".
    void add_failing(const std::string& where, const PamLine& line) {
        PamModule module;
        module.must_fail = true;
        module.module = line.module;
        module.control_text = line.control;
        module.where = where;
        fill(module.control, PamAction{PamAction::Bad, 0});
        stack_.auth.push_back(std::move(module));
    }

    PamStack& stack_;
    std::string pam_dir_;
    std::vector<std::string> chain_;  // files being read, for loop detection
};

}  // namespace

const char* to_string(PamResult result) noexcept {
    return kResultNames[index_of(result)];
}

std::optional<PamControl> parse_pam_control(std::string_view text, std::string& error) {
    if (text.starts_with('[') && text.ends_with(']')) return bracket_control(text, error);
    auto control = simple_control(ascii_lower(text));
    if (!control) error = "unknown control \"" + std::string(text) + "\"";
    return control;
}

std::string PamModule::file_name() const {
    const auto slash = module.find_last_of('/');
    return slash == std::string::npos ? module : module.substr(slash + 1);
}

bool PamModule::is_kotp() const {
    return !substack_entry && file_name() == "pam_kotp.so";
}

PamStack read_pam_auth_stack(const std::string& pam_dir, const std::string& service) {
    PamStack stack;
    stack.service = service;
    stack.file = pam_dir + "/" + service;
    StackBuilder builder(stack, pam_dir);
    stack.exists = builder.read(stack.file, 0);
    if (!stack.exists) stack.error = read_text_file(stack.file).error;
    return stack;
}

}  // namespace kotp::admin
