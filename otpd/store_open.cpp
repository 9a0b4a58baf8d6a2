#include "store_open.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "kotp/wipe.hpp"
#include "password_file.hpp"
#include "pg_session.hpp"
#include "pg_store.hpp"

namespace kotp::otpd {

std::string storage_description(const Config& config) {
    return config.storage.empty() ? "database " + config.database_path()
                                  : "shared database " + describe_pg_conninfo(config.storage);
}

std::unique_ptr<Store> open_shared_store(const Config& config) {
    std::string password;
    if (!config.storage_password_file.empty()) {
        std::string error;
        if (!read_password_file(config.storage_password_file, password, error)) throw StoreError(error);
    }
    PgTarget target(config.storage, std::move(password));
    wipe(password);
    return std::make_unique<PgStore>(std::move(target));
}

std::string check_key_file_for_shared_store(const Config& config, Store& store) {
    struct stat st {};
    const auto path = config.master_key_path();
    if (::lstat(path.c_str(), &st) == 0 || errno != ENOENT) return {};  // the loader judges it
    std::map<std::uint32_t, std::int64_t> sealed;
    {
        Transaction txn(store);
        sealed = store.sealed_key_ids();
        txn.commit();
    }
    if (sealed.empty()) return {};
    return "master key file " + path + " is missing but the shared database holds " +
           std::to_string(sealed.begin()->second) +
           " token secret(s) sealed with a master key: copy the key file from a node that serves this "
           "database (every node needs the same file, mode 0600, owned by otpd's user)";
}

std::string check_keys_match_shared_store(const Config& config, const MasterKeys& keys, Store& store) {
    Transaction txn(store);
    for (const auto id : keys.ids()) {
        const auto mine = key_check_value(*keys.find(id));
        if (store.key_check(id, mine) != mine)
            return "master key " + std::to_string(id) + " in " + config.master_key_path() +
                   " is not the key " + std::to_string(id) +
                   " of the other nodes sharing this database: secrets sealed here would open nowhere else. "
                   "Copy the key file from a node that serves this database (every node needs the same file)";
    }
    txn.commit();
    return {};
}

}  // namespace kotp::otpd
