// PostgreSQL's schema for otpd: numbered migrations in one transaction under an advisory lock,
// so that several otpd starting at once against one database migrate it exactly once.
#pragma once

#include "pg_session.hpp"

namespace kotp::otpd {

// The schema version this otpd writes.
int pg_schema_latest();

// Brings the database to pg_schema_latest(); returns the version it found. Throws StoreError, also
// when the database is newer than this otpd.
int pg_migrate(PgSession& session);

}  // namespace kotp::otpd
