// Opening the store otpd.conf names, and the checks that keep a cluster's nodes on one master
// key: the SQLite file (the default), or a PostgreSQL database that several otpd share.
#pragma once

#include <memory>
#include <string>

#include "config.hpp"
#include "master_key.hpp"
#include "store.hpp"

namespace kotp::otpd {

// "database /var/lib/otpd/kotp.db" or "shared database postgresql://kotp@db1/kotp", for the log.
std::string storage_description(const Config& config);

// Connects to the PostgreSQL database of `config.storage` with the password of
// storage_password_file, and migrates it. Throws StoreError.
std::unique_ptr<Store> open_shared_store(const Config& config);

// For a shared store: the key file must exist where the database holds sealed secrets (a new key
// would open none of them), and every key must be the one stored under its id (another node's
// file under the same name would seal secrets the others cannot open). "" or why not.
std::string check_key_file_for_shared_store(const Config& config, Store& store);
std::string check_keys_match_shared_store(const Config& config, const MasterKeys& keys, Store& store);

}  // namespace kotp::otpd
