// kotp-admin migrate-storage: otpd's SQLite state copied into an empty PostgreSQL database, so
// that a site can move to cluster mode (several login nodes sharing one database). Every row of
// every table is copied as it is, ids and sealed secrets included, with COPY ... FROM STDIN in
// one PostgreSQL transaction: all of it or nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pg_session.hpp"
#include "store.hpp"

namespace kotp::otpd {

// The SQLite schema version this kotp writes (sqlite_schema.cpp), the only one copied.
constexpr int kCopiedSqliteSchema = 5;

struct CopiedTable {
    std::string name;          // as PostgreSQL names it
    std::int64_t rows = 0;     // in the source, copied, and counted in the target: all equal
    std::int64_t next_id = 0;  // where the table's identity sequence now starts; 0: it has none
};

struct StorageCopyReport {
    std::string source;  // the SQLite file
    std::string target;  // describe_pg_conninfo(): no password
    int schema_found = 0;  // the target's schema version before (0: migrate-storage created it)
    std::vector<CopiedTable> tables;
    // Master key check values already in the target: an otpd node has started on it before.
    std::int64_t key_checks = 0;
    double seconds = 0;
};

// Why nothing was copied. The target's tables are as they were; at most the schema was created
// (as otpd itself would create it).
class StorageCopyError : public StoreError {
public:
    enum class Kind {
        Source,          // the SQLite file: missing, unreadable, damaged, another schema version
        Target,          // PostgreSQL: connection, schema, a statement, the commit
        TargetNotEmpty,  // the target already holds users, tokens, audit rows or exemptions
        Mismatch,        // the counts after the copy differ from the source's (rolled back)
    };
    StorageCopyError(Kind kind, const std::string& message) : StoreError(message), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

// "" when `conninfo` names a database to copy into: a postgresql:// URL or a libpq key=value
// string that libpq parses and that holds no password. Otherwise why not (never the string).
std::string check_copy_target(const std::string& conninfo);

// Called during the copy of each table, every so many rows and once at its end.
using CopyProgress = std::function<void(std::string_view table, std::int64_t done, std::int64_t total)>;

// Copies the otpd state in `sqlite_path` (opened read-only, one read transaction) into `target`.
// Throws StorageCopyError.
StorageCopyReport copy_sqlite_to_pg(const std::string& sqlite_path, const PgTarget& target,
                                    const CopyProgress& progress = {});

}  // namespace kotp::otpd
