#include "bench_state.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kotp/base32.hpp"
#include "kotp/wipe.hpp"

namespace kotp::bench {
namespace {

namespace fs = std::filesystem;

constexpr char kManifestMagic[] = "kotp-load state 1";
constexpr char kModelMagic[8] = {'K', 'L', 'M', 'O', 'D', 'E', 'L', '1'};

// Writes `data` to `path` (mode 0600) through a temporary file and a rename.
bool write_file(const std::string& path, const void* data, std::size_t size, std::string& error) {
    const std::string part = path + ".part";
    const int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        error = "cannot write " + part + ": " + std::strerror(errno);
        return false;
    }
    const auto* p = static_cast<const char*>(data);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, p + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error = "cannot write " + part + ": " + std::strerror(errno);
            ::close(fd);
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0 || ::rename(part.c_str(), path.c_str()) != 0) {
        error = "cannot write " + path + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<Manifest> read_manifest(const std::string& path) {
    const auto text = read_file(path);
    if (!text) return std::nullopt;
    std::istringstream in(*text);
    std::string line;
    if (!std::getline(in, line) || line != kManifestMagic) return std::nullopt;
    Manifest m;
    std::string key;
    while (in >> key) {
        if (key == "users") {
            in >> m.users;
        } else if (key == "token") {
            std::string t;
            in >> t;
            if (t != "hotp" && t != "totp") return std::nullopt;
            m.token = t == "hotp" ? TokenChoice::Hotp : TokenChoice::Totp;
        } else if (key == "clean") {
            int c = 0;
            in >> c;
            m.clean = c == 1;
        } else if (key == "enrol_seconds") {
            in >> m.enrol_seconds;
        } else if (key == "audit_id") {
            in >> m.audit_id;
        } else if (key == "storage") {
            std::getline(in >> std::ws, m.storage);
        } else {
            std::string ignored;
            std::getline(in, ignored);
        }
        if (!in) return std::nullopt;
    }
    return m;
}

std::optional<std::vector<UserModel>> load_model(const std::string& path, std::uint32_t users) {
    const auto data = read_file(path);
    constexpr std::size_t kRecord = 9;  // i64 position, u8 failures
    if (!data || data->size() != sizeof kModelMagic + 8 + std::size_t{users} * kRecord ||
        std::memcmp(data->data(), kModelMagic, sizeof kModelMagic) != 0)
        return std::nullopt;
    std::uint64_t count = 0;
    std::memcpy(&count, data->data() + sizeof kModelMagic, 8);
    if (count != users) return std::nullopt;
    std::vector<UserModel> model(users);
    const char* p = data->data() + sizeof kModelMagic + 8;
    for (auto& m : model) {
        std::memcpy(&m.position, p, 8);
        m.failures = static_cast<std::uint8_t>(p[8]);
        p += kRecord;
    }
    return model;
}

bool dir_is_empty(const std::string& dir) {
    std::error_code ec;
    return fs::is_empty(dir, ec) && !ec;
}

}  // namespace

StatePaths state_paths(const std::string& dir) {
    StatePaths p;
    p.dir = fs::absolute(dir).lexically_normal().string();
    while (p.dir.size() > 1 && p.dir.back() == '/') p.dir.pop_back();
    p.manifest = p.dir + "/kotp-load.manifest";
    p.nodes.push_back({p.dir + "/otpd.conf", p.dir + "/otpd.sock", p.dir + "/otpd-state", p.dir + "/otpd.log"});
    for (unsigned k = 2; k <= kMaxNodes; ++k) {
        const std::string node = p.dir + "/node" + std::to_string(k);
        p.nodes.push_back({node + ".conf", node + ".sock", node + "-state", node + ".log"});
    }
    p.import_log = p.dir + "/import.log";
    p.secrets = p.dir + "/secrets.bin";
    p.model = p.dir + "/model.bin";
    p.csv = p.dir + "/users.csv";
    return p;
}

std::string user_name(std::uint32_t index) {
    char name[16];
    std::snprintf(name, sizeof name, "load%07u", index);
    return name;
}

bool write_manifest(const StatePaths& paths, const Manifest& m, std::string& error) {
    std::ostringstream text;
    text << kManifestMagic << "\nusers " << m.users << "\ntoken " << token_name(m.token) << "\nclean "
         << (m.clean ? 1 : 0) << "\nenrol_seconds " << m.enrol_seconds << "\nstorage " << m.storage << "\naudit_id "
         << m.audit_id << "\n";
    const std::string s = text.str();
    return write_file(paths.manifest, s.data(), s.size(), error);
}

void remove_state(const StatePaths& paths) {
    std::error_code ec;
    for (const auto& node : paths.nodes) {
        for (const auto& f : {node.config, node.socket, node.socket + ".lock", node.otpd_log}) fs::remove(f, ec);
        fs::remove_all(node.otpd_state, ec);
    }
    for (const auto& f : {paths.import_log, paths.dir + "/admin.log", paths.secrets, paths.model, paths.csv, paths.csv + ".part",
                          paths.model + ".part", paths.secrets + ".part", paths.manifest + ".part"})
        fs::remove(f, ec);
    fs::remove(paths.manifest, ec);  // last: until then the folder is recognisably ours
    if (dir_is_empty(paths.dir)) fs::remove(paths.dir, ec);
}

PreparedState prepare_state(const Options& options, const StatePaths& paths, PrepareError& failure,
                            std::string& error) {
    PreparedState state;
    failure = PrepareError::None;
    std::error_code ec;
    if (fs::exists(paths.dir, ec)) {
        if (!fs::is_directory(paths.dir, ec)) {
            failure = PrepareError::NotOurs;
            error = paths.dir + " exists and is not a directory";
            return state;
        }
        const auto manifest = read_manifest(paths.manifest);
        if (!manifest && !dir_is_empty(paths.dir)) {
            failure = PrepareError::NotOurs;
            error = paths.dir + " is not empty and was not made by kotp-load (no kotp-load.manifest): "
                                "give a new or empty folder";
            return state;
        }
        const bool shared = !options.storage.empty();
        if (manifest && manifest->clean && manifest->users == options.users && manifest->token == options.token &&
            manifest->storage == storage_label(options) &&
            (shared ? fs::exists(paths.nodes[0].master_key(), ec) && manifest->audit_id >= 0
                    : fs::exists(paths.otpd_state() + "/kotp.db", ec))) {
            auto secrets = read_file(paths.secrets);
            auto model = load_model(paths.model, options.users);
            if (secrets && secrets->size() == std::size_t{options.users} * kSecretSize && model) {
                state.reused = true;
                state.enrol_seconds = manifest->enrol_seconds;
                state.audit_id = manifest->audit_id;
                state.secrets.assign(secrets->begin(), secrets->end());
                wipe(*secrets);
                state.model = std::move(*model);
                return state;
            }
        }
        if (manifest) remove_state(paths);  // ours, but not reusable: enrol afresh
    }
    if (!fs::exists(paths.dir, ec) && ::mkdir(paths.dir.c_str(), 0700) != 0) {
        failure = PrepareError::Failed;
        error = "cannot create " + paths.dir + ": " + std::strerror(errno);
        return state;
    }
    ::chmod(paths.dir.c_str(), 0700);
    if (!write_manifest(paths, Manifest{options.users, options.token, false, 0, storage_label(options), -1}, error)) {
        failure = PrepareError::Failed;
        return state;
    }
    state.secrets.resize(std::size_t{options.users} * kSecretSize);
    if (RAND_bytes(state.secrets.data(), static_cast<int>(state.secrets.size())) != 1) {
        failure = PrepareError::Failed;
        error = "no random bytes for the secrets";
        return state;
    }
    if (!write_file(paths.secrets, state.secrets.data(), state.secrets.size(), error)) {
        failure = PrepareError::Failed;
        return state;
    }
    UserModel initial;
    initial.position = options.token == TokenChoice::Hotp ? 0 : -1;  // imported: counter 0, no step yet
    state.model.assign(options.users, initial);
    return state;
}

bool write_users_csv(const StatePaths& paths, const std::vector<std::uint8_t>& secrets, TokenChoice token,
                     std::string& error) {
    const std::size_t users = secrets.size() / kSecretSize;
    std::string text;
    text.reserve(users * 56 + 64);
    text += "# kotp-load's throwaway users: user,secret,type\n";
    const std::string type = token == TokenChoice::Hotp ? ",hotp\n" : ",totp\n";
    for (std::size_t i = 0; i < users; ++i) {
        text += user_name(static_cast<std::uint32_t>(i));
        text += ',';
        std::string secret = base32_encode(std::span(secrets).subspan(i * kSecretSize, kSecretSize));
        text += secret;
        wipe(secret);
        text += type;
    }
    const bool ok = write_file(paths.csv, text.data(), text.size(), error);
    wipe(text);
    return ok;
}

bool save_model(const StatePaths& paths, const std::vector<UserModel>& model, std::string& error) {
    std::string data(kModelMagic, sizeof kModelMagic);
    const std::uint64_t count = model.size();
    data.append(reinterpret_cast<const char*>(&count), 8);
    for (const auto& m : model) {
        data.append(reinterpret_cast<const char*>(&m.position), 8);
        data.push_back(static_cast<char>(m.failures));
    }
    return write_file(paths.model, data.data(), data.size(), error);
}

bool copy_master_key(const StatePaths& paths, unsigned node, std::string& error) {
    const NodePaths& to = paths.nodes.at(node);
    if (!fs::exists(to.otpd_state) && ::mkdir(to.otpd_state.c_str(), 0700) != 0) {
        error = "cannot create " + to.otpd_state + ": " + std::strerror(errno);
        return false;
    }
    auto key = read_file(paths.nodes[0].master_key());
    if (!key) {
        error = "cannot read " + paths.nodes[0].master_key();
        return false;
    }
    const bool ok = write_file(to.master_key(), key->data(), key->size(), error);
    wipe(*key);
    return ok;
}

}  // namespace kotp::bench

