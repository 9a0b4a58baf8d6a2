// Who is on the other end of a connection, from SO_PEERCRED, and what that lets them ask.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace kotp::otpd {

struct Peer {
    uid_t uid = 0;
    gid_t gid = 0;
    pid_t pid = 0;
};

// SO_PEERCRED of a connected Unix socket; nullopt if the kernel cannot tell.
std::optional<Peer> peer_of(int fd);

class Authorizer {
public:
    // `admin_group`: members may run admin commands. otpd's own uid counts as root: that user
    // can read the database and the master key anyway (it matters when otpd runs unprivileged in
    // a test or demo folder).
    explicit Authorizer(std::string admin_group) : admin_group_(std::move(admin_group)) {}

    bool is_privileged(const Peer& peer) const;  // root or otpd's own user
    bool may_administer(const Peer& peer) const; // privileged or in admin_group
    // Verify codes for `user`: privileged callers (sshd, login, su) or the user itself.
    bool may_verify_for(const Peer& peer, const std::string& user) const;

private:
    std::string admin_group_;
};

}  // namespace kotp::otpd
