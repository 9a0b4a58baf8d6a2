// File access for kotp-admin doctor's readers: whole text files with the reason when one cannot
// be read, sorted glob expansion (sshd's Include), and the text helpers they share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kotp::admin {

struct TextFile {
    bool ok = false;
    bool missing = false;  // ENOENT: the file (or a folder above it) does not exist
    std::string text;
    std::string error;  // strerror text when !ok
};

// Reads a whole regular file. A folder or a file that cannot be opened is !ok, with the reason.
TextFile read_text_file(const std::string& path);

// The paths matching `pattern` in sorted order, as glob(3) gives them; none when nothing matches.
std::vector<std::string> glob_sorted(const std::string& pattern);

// "/etc/ssh" for "/etc/ssh/sshd_config", "." for "sshd_config".
std::string parent_folder(const std::string& path);

// Splits text into lines ('\n'); a last line without '\n' counts too.
std::vector<std::string> split_lines(const std::string& text);

// ASCII lower case: sshd keywords and PAM types and controls are matched in any case.
std::string ascii_lower(std::string_view text);

}  // namespace kotp::admin
