// kotp-load's state directory: otpd's configuration, socket, database and log, the users'
// secrets, and a manifest so that a later run can reuse an enrolment (1,000,000 users take a
// while to import):
//
//   DIR/kotp-load.manifest   users, token type, whether the saved model matches the database
//   DIR/otpd.conf, otpd.sock, otpd.log, import.log, admin.log (kotp-admin stats and log)
//   DIR/otpd-state/          otpd's state_dir (kotp.db, master.key; only master.key with --storage)
//   DIR/nodeK.conf, nodeK.sock, nodeK.log, nodeK-state/   otpd number K (2..) of --nodes
//   DIR/secrets.bin          20 random bytes per user (mode 0600; throwaway users of the bench)
//   DIR/model.bin            each user's counter or last step and failure count after the run
//   DIR/users.csv            the import file (mode 0600), deleted once imported
//
// A run marks the manifest unclean before it sends anything, and clean again only after it
// saved the model of a run in which every outcome was the predicted one: a state whose model
// may differ from otpd's database is enrolled afresh, never reused.
//
// With --storage the users live in a PostgreSQL database, not in DIR: the manifest names it,
// and DIR's master.key is the key that sealed its secrets. A clean manifest also records the
// newest audit id otpd showed at the end of the run; the next run reuses the database only when
// otpd (started with that master.key, which it checks against the database) shows the same
// users count and the same newest audit id: nothing logged in between.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "options.hpp"
#include "token_model.hpp"

namespace kotp::bench {

// One otpd's files: node 0 is DIR/otpd.conf, otpd.sock, otpd-state/, otpd.log.
struct NodePaths {
    std::string config, socket, otpd_state, otpd_log;
    std::string master_key() const { return otpd_state + "/master.key"; }
};

struct StatePaths {
    std::string dir, manifest, import_log, secrets, model, csv;
    std::vector<NodePaths> nodes;  // kMaxNodes of them, whichever are used
    // Node 0's, which enrols and which the checks of --storage go through.
    const std::string& config() const { return nodes[0].config; }
    const std::string& socket() const { return nodes[0].socket; }
    const std::string& otpd_state() const { return nodes[0].otpd_state; }
    const std::string& otpd_log() const { return nodes[0].otpd_log; }
};

StatePaths state_paths(const std::string& dir);

// "load0000042": the name of user i (at most kMaxUsers users: 7 digits).
std::string user_name(std::uint32_t index);

struct Manifest {
    std::uint32_t users = 0;
    TokenChoice token = TokenChoice::Hotp;
    bool clean = false;
    double enrol_seconds = 0;  // the import that made this state
    std::string storage = "sqlite";  // storage_label(): where the users are
    std::int64_t audit_id = -1;      // --storage, clean: the newest audit id at the end; -1 unknown
};

struct PreparedState {
    bool reused = false;
    double enrol_seconds = 0;                 // reused: the earlier import's time
    std::int64_t audit_id = -1;               // reused: the manifest's newest audit id
    std::vector<std::uint8_t> secrets;        // kSecretSize bytes per user
    std::vector<UserModel> model;
};

enum class PrepareError { None, NotOurs, Failed };

// Reuses DIR when its manifest matches (users, token, storage) and is clean, and otpd's data is
// there (kotp.db, or with --storage master.key and a recorded audit id); otherwise removes what an
// earlier run left there, makes new secrets and writes an unclean manifest. A DIR that exists,
// is not empty and has no manifest is not touched (NotOurs).
PreparedState prepare_state(const Options& options, const StatePaths& paths, PrepareError& failure,
                            std::string& error);

bool write_manifest(const StatePaths& paths, const Manifest& manifest, std::string& error);

// The import file: user,secret-base32,type (mode 0600).
bool write_users_csv(const StatePaths& paths, const std::vector<std::uint8_t>& secrets, TokenChoice token,
                     std::string& error);

bool save_model(const StatePaths& paths, const std::vector<UserModel>& model, std::string& error);

// Gives node `node` (1..) node 0's master.key (mode 0600) in its own state folder (mode 0700).
bool copy_master_key(const StatePaths& paths, unsigned node, std::string& error);

// Removes everything kotp-load put in DIR, and DIR itself if that leaves it empty.
void remove_state(const StatePaths& paths);

}  // namespace kotp::bench
