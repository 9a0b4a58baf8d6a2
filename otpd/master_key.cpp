#include "master_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

#include "kotp/hex.hpp"
#include "kotp/wipe.hpp"

namespace kotp::otpd {
namespace {

constexpr std::size_t kMaxKeyFileSize = 64 * 1024;

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool parse_key_line(std::string_view line, std::uint32_t& id, AesKey& key) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos) return false;
    const auto id_text = line.substr(0, space);
    const auto hex = line.substr(space + 1);
    const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (ec != std::errc{} || end != id_text.data() + id_text.size() || id == 0) return false;
    if (hex.size() != key.size() * 2) return false;
    for (std::size_t i = 0; i < key.size(); ++i) {
        const int hi = hex_value(hex[2 * i]);
        const int lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        key[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return true;
}

bool write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::string parent_dir(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// "<id> <64 hex digits>\n" for every key, older keys first and the current key last (the loader
// makes the last line current). The caller wipes the result.
std::string key_file_text(const MasterKeys& keys) {
    std::string text;
    // Reserved up front: a reallocation would leave a copy of the keys in freed memory.
    text.reserve(keys.ids().size() * (10 + 1 + 2 * sizeof(AesKey) + 1));
    auto append = [&](std::uint32_t id) {
        std::string hex = hex_encode(*keys.find(id));
        text += std::to_string(id);
        text += ' ';
        text += hex;
        text += '\n';
        wipe(hex);
    };
    for (const auto id : keys.ids())
        if (id != keys.current_id()) append(id);
    append(keys.current_id());
    return text;
}

// Writes the whole text to a new file (0600, O_EXCL: never into a file someone else prepared)
// and fsyncs it. On failure the file is removed and `error` says why.
bool write_new_key_file(const std::string& path, const std::string& text, std::string& error) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = "cannot create master key file " + path + ": " + std::strerror(errno);
        return false;
    }
    const bool written = write_all(fd, text) && ::fsync(fd) == 0;
    const int saved_errno = errno;
    ::close(fd);
    if (!written) {
        ::unlink(path.c_str());
        error = "cannot write master key file " + path + ": " + std::strerror(saved_errno);
        return false;
    }
    return true;
}

// Makes a new or renamed directory entry durable, before any secret is sealed with its key.
bool sync_parent_dir(const std::string& path, std::string& error) {
    const auto dir_path = parent_dir(path);
    const int dir = ::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || ::fsync(dir) != 0) {
        error = "cannot sync directory " + dir_path + ": " + std::strerror(errno);
        if (dir >= 0) ::close(dir);
        return false;
    }
    ::close(dir);
    return true;
}

bool create_key_file(const std::string& path, RandomSource& random, std::string& error) {
    AesKey key{};
    if (!random.fill(key)) {
        error = "cannot get random bytes for a new master key";
        return false;
    }
    MasterKeys keys;
    keys.add(1, key);
    OPENSSL_cleanse(key.data(), key.size());
    std::string text = key_file_text(keys);
    const bool written = write_new_key_file(path, text, error);
    wipe(text);
    return written && sync_parent_dir(path, error);
}

}  // namespace

MasterKeys::~MasterKeys() {
    for (auto& [id, key] : keys_) OPENSSL_cleanse(key.data(), key.size());
}

const AesKey* MasterKeys::find(std::uint32_t id) const {
    const auto it = keys_.find(id);
    return it == keys_.end() ? nullptr : &it->second;
}

void MasterKeys::add(std::uint32_t id, const AesKey& key) {
    keys_[id] = key;
    current_id_ = id;
}

bool MasterKeys::remove(std::uint32_t id) {
    const auto it = keys_.find(id);
    if (it == keys_.end() || id == current_id_) return false;
    OPENSSL_cleanse(it->second.data(), it->second.size());
    keys_.erase(it);
    return true;
}

std::vector<std::uint32_t> MasterKeys::ids() const {
    std::vector<std::uint32_t> out;
    out.reserve(keys_.size());
    for (const auto& entry : keys_) out.push_back(entry.first);
    return out;
}

std::uint32_t MasterKeys::next_id() const { return keys_.empty() ? 1 : keys_.rbegin()->first + 1; }

std::optional<MasterKeys> load_or_create_master_keys(const std::string& path, RandomSource& random,
                                                     std::string& error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        if (!create_key_file(path, random, error)) return std::nullopt;
        fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        error = "cannot open master key file " + path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    struct stat st {};
    std::string text;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        error = "master key file " + path + " is not a regular file";
    } else if ((st.st_mode & 077) != 0) {
        error = "master key file " + path + " must not be readable by group or others (chmod 600 it)";
    } else if (st.st_uid != ::geteuid()) {
        error = "master key file " + path + " must be owned by otpd's user (uid " +
                std::to_string(::geteuid()) + ")";
    } else if (st.st_size <= 0 || static_cast<std::size_t>(st.st_size) > kMaxKeyFileSize) {
        error = "master key file " + path + " is empty or larger than 64 KiB";
    } else {
        text.resize(static_cast<std::size_t>(st.st_size));
        std::size_t got = 0;
        while (got < text.size()) {
            const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        if (got != text.size()) error = "cannot read master key file " + path;
    }
    ::close(fd);
    if (!error.empty()) {
        wipe(text);
        return std::nullopt;
    }
    MasterKeys keys;
    std::string_view rest = text;
    std::size_t line_number = 0;
    while (!rest.empty() && error.empty()) {
        ++line_number;
        const auto eol = rest.find('\n');
        const auto line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        if (line.empty()) continue;
        std::uint32_t id = 0;
        AesKey key{};
        if (!parse_key_line(line, id, key) || keys.find(id) != nullptr)
            error = "master key file " + path + ":" + std::to_string(line_number) +
                    ": expected '<id> <64 hex digits>' with a new id";
        else
            keys.add(id, key);
        OPENSSL_cleanse(key.data(), key.size());
    }
    wipe(text);
    if (error.empty() && keys.current_id() == 0) error = "master key file " + path + " holds no key";
    if (!error.empty()) return std::nullopt;
    return keys;
}

bool replace_master_key_file(const std::string& path, const MasterKeys& keys, std::string& error) {
    if (keys.find(keys.current_id()) == nullptr) {
        error = "no current master key to write";
        return false;
    }
    const std::string temp = path + ".new";
    // Only otpd's user can write the directory, so a PATH.new is ours, left by a crash; it may
    // hold key material, so it goes rather than stays.
    if (::unlink(temp.c_str()) != 0 && errno != ENOENT) {
        error = "cannot remove the stale " + temp + ": " + std::strerror(errno);
        return false;
    }
    std::string text = key_file_text(keys);
    const bool written = write_new_key_file(temp, text, error);
    wipe(text);
    if (!written) return false;
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        error = "cannot replace master key file " + path + ": " + std::strerror(errno);
        ::unlink(temp.c_str());
        return false;
    }
    return sync_parent_dir(path, error);
}

std::vector<std::uint8_t> key_check_value(const AesKey& key) {
    static constexpr char kText[] = "kotp master key check 1";
    std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
    unsigned length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(kText),
             sizeof kText - 1, out.data(), &length) == nullptr)
        return {};
    out.resize(length);
    return out;
}

}  // namespace kotp::otpd
