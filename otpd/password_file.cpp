#include "password_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kotp/wipe.hpp"

namespace kotp::otpd {

bool read_password_file(const std::string& path, std::string& password, std::string& error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        error = "cannot open the password file " + path + ": " + std::strerror(errno);
        return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        error = "the password file " + path + " is not a regular file";
        return false;
    }
    if ((st.st_mode & 0007) != 0) {
        ::close(fd);
        char mode[8];
        std::snprintf(mode, sizeof mode, "%03o", st.st_mode & 0777);
        error = "the password file " + path + " can be read by every user (mode " + mode +
                "): make it 0640 root:_otpd or stricter";
        return false;
    }
    char buf[1025];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n < 0 || n > 1024) {
        wipe(buf, sizeof buf);
        error = n < 0 ? "cannot read the password file " + path + ": " + std::strerror(errno)
                      : "the password file " + path + " is longer than 1 KiB: it must hold the password alone";
        return false;
    }
    std::string text(buf, static_cast<std::size_t>(n));
    wipe(buf, sizeof buf);
    if (const auto end = text.find_first_of("\r\n"); end != std::string::npos) text.resize(end);
    if (text.empty()) {
        error = "the password file " + path + " is empty: its first line must be the password";
        return false;
    }
    password = std::move(text);
    return true;
}

}  // namespace kotp::otpd
