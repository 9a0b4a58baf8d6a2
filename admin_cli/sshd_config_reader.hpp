// Reads sshd_config the way sshd does for its global settings: keywords in any case, "Keyword
// value" or "Keyword=value", quotes, '#' comments, Include (globs, read in sorted order where the
// Include stands), the first value of a keyword wins, and from a Match line on, the lines belong to
// that Match block until the end of the file it is in. Every value keeps its file and line, so
// that a finding can say where to fix it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kotp::admin {

struct SshdSetting {
    std::string keyword;            // as written, e.g. "ChallengeResponseAuthentication"
    std::string canonical;          // lower case, aliases resolved: "kbdinteractiveauthentication"
    std::vector<std::string> args;  // quotes removed
    std::string file;
    int line = 0;

    std::string where() const { return file + ":" + std::to_string(line); }
    std::string value() const;  // the arguments joined by single spaces
};

struct SshdMatchBlock {
    std::string criteria;  // "User backup", "all"
    std::string file;
    int line = 0;
    std::vector<SshdSetting> settings;  // in the order sshd reads them

    std::string where() const { return file + ":" + std::to_string(line); }
};

// Something that stops sshd from reading the configuration as written (unreadable file, bad
// quotes, Include loop): sshd -t would refuse it too.
struct SshdConfigProblem {
    std::string where;
    std::string message;
};

struct SshdConfig {
    std::string main_file;
    bool main_file_read = false;
    std::string base_folder;                   // where relative Include paths start
    std::vector<SshdSetting> global;           // outside any Match block, in read order
    std::vector<SshdMatchBlock> match_blocks;  // in read order
    std::vector<std::string> global_includes;  // absolute Include patterns outside Match blocks
    std::vector<SshdConfigProblem> problems;

    // The value sshd uses (the first one read), or nullptr when the keyword is not set.
    const SshdSetting* effective(std::string_view canonical) const;
    // Every global occurrence, first (effective) one first.
    std::vector<const SshdSetting*> occurrences(std::string_view canonical) const;
};

// Lower case; ChallengeResponseAuthentication is the deprecated name of
// KbdInteractiveAuthentication, so both give "kbdinteractiveauthentication".
std::string canonical_sshd_keyword(std::string_view keyword);

// Reads `main_file` and everything it includes. Relative Include paths are taken from the main
// file's folder (/etc/ssh for the default /etc/ssh/sshd_config, as sshd does). Never throws for
// bad input: what cannot be read is in `problems`.
SshdConfig read_sshd_config(const std::string& main_file);

}  // namespace kotp::admin
