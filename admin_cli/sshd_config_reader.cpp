#include "sshd_config_reader.hpp"

#include <algorithm>
#include <cctype>

#include "doctor_files.hpp"

namespace kotp::admin {
namespace {

// sshd's own limit on nested Include (SERVCONF_MAX_DEPTH): deeper means a loop.
constexpr int kMaxIncludeDepth = 16;

constexpr int kNoMatchBlock = -1;

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

struct LineWords {
    std::string keyword;
    std::vector<std::string> args;
    std::string error;  // set when sshd would refuse the line
};

// The arguments after the keyword, split as OpenSSH's argv_split() does: blanks separate words,
// "double" or 'single' quotes group them, a backslash escapes a quote, a backslash or (outside
// quotes) a space, and a '#' where a word would start ends the line.
bool split_arguments(std::string_view text, std::vector<std::string>& args) {
    std::size_t i = 0;
    while (i < text.size()) {
        if (is_blank(text[i])) {
            ++i;
            continue;
        }
        if (text[i] == '#') break;
        std::string word;
        char quote = 0;
        for (; i < text.size(); ++i) {
            const char c = text[i];
            if (c == '\\' && i + 1 < text.size()) {
                const char next = text[i + 1];
                if (next == '\'' || next == '"' || next == '\\' || (quote == 0 && next == ' ')) ++i;
                word += text[i];
            } else if (quote == 0 && is_blank(c)) {
                break;
            } else if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (quote != 0 && c == quote) {
                quote = 0;
            } else {
                word += c;
            }
        }
        if (quote != 0) return false;  // ran out of line looking for the closing quote
        args.push_back(std::move(word));
    }
    return true;
}

// One line: the keyword ends at a blank or '='; "Keyword = value" and "Keyword=value" are the
// same as "Keyword value". An empty keyword means a blank or comment line.
LineWords split_line(std::string_view line) {
    LineWords words;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())) != 0)
        line.remove_suffix(1);
    std::size_t i = 0;
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])) != 0) ++i;
    if (i == line.size() || line[i] == '#') return words;
    const std::size_t start = i;
    while (i < line.size() && !is_blank(line[i]) && line[i] != '=') ++i;
    words.keyword = std::string(line.substr(start, i - start));
    while (i < line.size() && is_blank(line[i])) ++i;
    if (i < line.size() && line[i] == '=') ++i;
    if (!split_arguments(line.substr(i), words.args))
        words.error = "unbalanced quotes after " + words.keyword;
    else if (words.args.empty())
        words.error = "no value after " + words.keyword;
    return words;
}

class Reader {
  public:
    explicit Reader(SshdConfig& config) : config_(config) {}

    bool read_file(const std::string& path, int depth, int match_block, const std::string& from) {
        const TextFile file = read_text_file(path);
        if (!file.ok) {
            config_.problems.push_back(
                {from.empty() ? path : from, "cannot read " + path + ": " + file.error});
            return false;
        }
        int line_number = 0;
        // A Match block started in this file ends with it: sshd restores the state it had at the
        // Include line.
        int block = match_block;
        for (const std::string& text : split_lines(file.text)) {
            ++line_number;
            LineWords words = split_line(text);
            if (words.keyword.empty()) continue;
            const std::string where = path + ":" + std::to_string(line_number);
            if (!words.error.empty()) {
                config_.problems.push_back({where, words.error});
                continue;
            }
            const std::string canonical = canonical_sshd_keyword(words.keyword);
            if (canonical == "match") {
                block = start_match_block(words, path, line_number);
            } else if (canonical == "include") {
                include(words.args, depth, block, where);
            } else {
                SshdSetting setting{words.keyword, canonical, std::move(words.args), path,
                                    line_number};
                if (block == kNoMatchBlock)
                    config_.global.push_back(std::move(setting));
                else
                    config_.match_blocks[static_cast<std::size_t>(block)].settings.push_back(
                        std::move(setting));
            }
        }
        return true;
    }

  private:
    int start_match_block(const LineWords& words, const std::string& path, int line_number) {
        SshdMatchBlock match;
        for (const std::string& arg : words.args)
            match.criteria += (match.criteria.empty() ? "" : " ") + arg;
        match.file = path;
        match.line = line_number;
        config_.match_blocks.push_back(std::move(match));
        return static_cast<int>(config_.match_blocks.size()) - 1;
    }

    void include(const std::vector<std::string>& patterns, int depth, int block,
                 const std::string& where) {
        if (depth >= kMaxIncludeDepth) {
            config_.problems.push_back({where, "Include nested more than " +
                                                   std::to_string(kMaxIncludeDepth) +
                                                   " deep (an Include loop?)"});
            return;
        }
        for (const std::string& pattern : patterns) {
            // sshd takes relative paths from /etc/ssh, the folder of its default config.
            const std::string absolute =
                (!pattern.empty() && (pattern[0] == '/' || pattern[0] == '~'))
                    ? pattern
                    : config_.base_folder + "/" + pattern;
            if (block == kNoMatchBlock) config_.global_includes.push_back(absolute);
            // A pattern that matches nothing is fine for sshd (an empty sshd_config.d).
            for (const std::string& path : glob_sorted(absolute))
                read_file(path, depth + 1, block, where);
        }
    }

    SshdConfig& config_;
};

}  // namespace

std::string SshdSetting::value() const {
    std::string joined;
    for (const std::string& arg : args) joined += (joined.empty() ? "" : " ") + arg;
    return joined;
}

const SshdSetting* SshdConfig::effective(std::string_view canonical) const {
    for (const SshdSetting& setting : global)
        if (setting.canonical == canonical) return &setting;
    return nullptr;
}

std::vector<const SshdSetting*> SshdConfig::occurrences(std::string_view canonical) const {
    std::vector<const SshdSetting*> found;
    for (const SshdSetting& setting : global)
        if (setting.canonical == canonical) found.push_back(&setting);
    return found;
}

std::string canonical_sshd_keyword(std::string_view keyword) {
    std::string canonical = ascii_lower(keyword);
    if (canonical == "challengeresponseauthentication") return "kbdinteractiveauthentication";
    return canonical;
}

SshdConfig read_sshd_config(const std::string& main_file) {
    SshdConfig config;
    config.main_file = main_file;
    config.base_folder = parent_folder(main_file);
    Reader reader(config);
    config.main_file_read = reader.read_file(main_file, 0, kNoMatchBlock, "");
    return config;
}

}  // namespace kotp::admin
