// Helpers for the doctor tests: configuration trees in a temp folder, and the Debian 12 files
// copied into fixtures/debian12.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "doctor_finding.hpp"
#include "process.hpp"

namespace kotp::test {

// Writes `text` to DIR/relative, creating the folders on the way; returns the full path.
inline std::string put(const TempDir& dir, const std::string& relative, const std::string& text) {
    const std::string path = dir.file(relative);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    write_file(path, text);
    return path;
}

inline std::string fixture(const std::string& relative) {
    return read_file(std::string(KOTP_DOCTOR_FIXTURES) + "/" + relative);
}

// Copies fixtures/debian12/pam.d into DIR/pam.d; returns DIR/pam.d.
inline std::string debian_pam_dir(const TempDir& dir) {
    for (const char* name :
         {"common-auth", "common-account", "common-session", "common-password", "sshd", "login"})
        put(dir, std::string("pam.d/") + name, fixture(std::string("debian12/pam.d/") + name));
    return dir.file("pam.d");
}

// The line pam-auth-update writes for kotp's profile (debian/pam-configs/kotp: Additional block).
inline constexpr const char* kDebianKotpLine = "auth\trequired\t\t\tpam_kotp.so\n";

// common-auth with kotp's line where pam-auth-update puts it: after pam_permit.so.
inline std::string common_auth_with_kotp() {
    std::string text = fixture("debian12/pam.d/common-auth");
    const std::string permit = "pam_permit.so\n";
    text.insert(text.find(permit) + permit.size(), kDebianKotpLine);
    return text;
}

// A host set up as the README says: sshd_config including sshd_config.d/kotp.conf (UsePAM yes,
// KbdInteractiveAuthentication yes, AuthenticationMethods publickey,keyboard-interactive),
// pam.d/sshd with pam_kotp.so required, pam.d/login through common-auth with pam-auth-update's
// kotp line. Returns DIR/sshd_config; the PAM files are in DIR/pam.d.
inline std::string correct_tree(const TempDir& dir) {
    debian_pam_dir(dir);
    put(dir, "pam.d/common-auth", common_auth_with_kotp());
    put(dir, "pam.d/sshd", read_file(std::string(KOTP_SOURCE_DIR) + "/doc/examples/pam.d/sshd"));
    put(dir, "sshd_config.d/kotp.conf",
        "UsePAM yes\nKbdInteractiveAuthentication yes\nAuthenticationMethods "
        "publickey,keyboard-interactive\n");
    return put(dir, "sshd_config", "Include sshd_config.d/*.conf\nX11Forwarding no\n");
}

inline bool has_finding(const kotp::admin::Findings& findings, const std::string& check,
                        const std::string& problem_part, const std::string& where = "") {
    return std::any_of(findings.begin(), findings.end(), [&](const kotp::admin::Finding& f) {
        return f.check == check && f.problem.find(problem_part) != std::string::npos &&
               (where.empty() || f.where == where);
    });
}

inline std::string dump(const kotp::admin::Findings& findings) {
    std::string text;
    for (const auto& f : findings)
        text += f.check + "/" + kotp::admin::to_string(f.severity) + ": " + f.problem + " @ " +
                f.where + "\n    fix: " + f.fix + "\n";
    return text.empty() ? "(no findings)\n" : text;
}

}  // namespace kotp::test
