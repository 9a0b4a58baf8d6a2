#include "group_membership.hpp"

#include <grp.h>
#include <pwd.h>

#include <algorithm>

namespace kotp::otpd {
namespace {

struct Account {
    std::string name;
    gid_t gid = 0;
};

// One passwd lookup (by name or uid) through a getpw*_r function.
template <typename Key, typename Lookup>
std::optional<Account> lookup_account(Key key, Lookup lookup) {
    std::vector<char> buf(16384);
    struct passwd pw {};
    struct passwd* result = nullptr;
    if (lookup(key, &pw, buf.data(), buf.size(), &result) != 0 || result == nullptr) return std::nullopt;
    return Account{result->pw_name, result->pw_gid};
}

std::optional<gid_t> gid_of(const std::string& group) {
    std::vector<char> buf(65536);
    struct group gr {};
    struct group* result = nullptr;
    if (getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &result) != 0 || result == nullptr)
        return std::nullopt;
    return result->gr_gid;
}

std::vector<gid_t> groups_of(const Account& account) {
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (getgrouplist(account.name.c_str(), account.gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
        if (getgrouplist(account.name.c_str(), account.gid, groups.data(), &count) < 0) return {account.gid};
    }
    groups.resize(static_cast<std::size_t>(count));
    return groups;
}

}  // namespace

std::optional<std::string> first_group_of(const std::string& user, const std::vector<std::string>& groups) {
    if (groups.empty()) return std::nullopt;
    const auto account = lookup_account(user.c_str(), getpwnam_r);
    if (!account) return std::nullopt;
    const auto member_of = groups_of(*account);
    for (const auto& group : groups) {
        const auto gid = gid_of(group);
        if (gid && std::find(member_of.begin(), member_of.end(), *gid) != member_of.end()) return group;
    }
    return std::nullopt;
}

bool uid_in_group(uid_t uid, const std::string& group) {
    const auto account = lookup_account(uid, getpwuid_r);
    if (!account) return false;
    const auto gid = gid_of(group);
    if (!gid) return false;
    const auto member_of = groups_of(*account);
    return std::find(member_of.begin(), member_of.end(), *gid) != member_of.end();
}

}  // namespace kotp::otpd
