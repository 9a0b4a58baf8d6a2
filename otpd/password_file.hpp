// The database password of a shared store, read from its own file: never in otpd.conf, which
// more people may read, and never on a command line, which every user sees in ps.
#pragma once

#include <string>

namespace kotp::otpd {

// Reads a password file: a regular file (no symlink) that others cannot read, at most 1 KiB,
// the password on its first line. False with a sentence in `error` otherwise.
bool read_password_file(const std::string& path, std::string& password, std::string& error);

}  // namespace kotp::otpd
