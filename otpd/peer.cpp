#include "peer.hpp"

#include "group_membership.hpp"

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
    return is_privileged(peer) || uid_in_group(peer.uid, admin_group_);
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
