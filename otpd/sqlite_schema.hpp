// SQLite's schema for otpd: numbered migrations, applied by SqliteStore::migrate() in one
// transaction (PRAGMA user_version is the version reached). PostgreSQL's are in pg_schema.
#pragma once

#include <span>

namespace kotp::otpd {

// Entry N brings the schema from version N to N+1.
std::span<const char* const> sqlite_migrations();

}  // namespace kotp::otpd
