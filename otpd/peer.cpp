#include "peer.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace kotp::otpd {

std::optional<Peer> peer_of(int fd) {
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) return std::nullopt;
    // A peer whose uid cannot be mapped into our user namespace shows as the overflow uid
    // (65534); that is "nobody", which is trusted with nothing, so no special case is needed.
    if (cred.uid == static_cast<uid_t>(-1)) return std::nullopt;
    return Peer{cred.uid, cred.gid, cred.pid};
}

bool Authorizer::is_privileged(const Peer& peer) const { return peer.uid == 0 || peer.uid == ::geteuid(); }

bool Authorizer::may_administer(const Peer& peer) const {
    if (is_privileged(peer)) return true;
    std::vector<char> buf(16384);
    struct passwd pw {};
    struct passwd* pw_result = nullptr;
    if (getpwuid_r(peer.uid, &pw, buf.data(), buf.size(), &pw_result) != 0 || pw_result == nullptr) return false;
    struct group gr {};
    struct group* gr_result = nullptr;
    std::vector<char> gbuf(65536);
    if (getgrnam_r(admin_group_.c_str(), &gr, gbuf.data(), gbuf.size(), &gr_result) != 0 || gr_result == nullptr)
        return false;
    const gid_t admin_gid = gr_result->gr_gid;
    if (pw_result->pw_gid == admin_gid) return true;
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (getgrouplist(pw_result->pw_name, pw_result->pw_gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
        if (getgrouplist(pw_result->pw_name, pw_result->pw_gid, groups.data(), &count) < 0) return false;
    }
    for (int i = 0; i < count; ++i)
        if (groups[static_cast<std::size_t>(i)] == admin_gid) return true;
    return false;
}

bool Authorizer::may_verify_for(const Peer& peer, const std::string& user) const {
    if (is_privileged(peer)) return true;
    std::vector<char> buf(16384);
    struct passwd pw {};
    struct passwd* result = nullptr;
    return getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &result) == 0 && result != nullptr &&
           result->pw_uid == peer.uid;
}

}  // namespace kotp::otpd
