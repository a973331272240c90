// The PostgreSQL engine's schema: numbered migrations, recorded in a version table, applied when
// a store opens — all pending ones in one transaction under a fixed advisory lock, so replicas
// starting together migrate once (the second waits for the first, then finds nothing to do).
#pragma once

#include "state/pg_conn.hpp"

namespace patchbay::state::pg_detail {

// The key of pg_advisory_xact_lock taken by migrate() (any fixed 64-bit number of our own).
inline constexpr int64_t migration_lock_key = 0x7061746368626179;  // "patchbay"

// Applies the pending migrations; returns the schema version afterwards. Throws pg_error.
int64_t migrate(pg_conn& c);

// The highest migration this build knows.
int64_t latest_schema_version();

}  // namespace patchbay::state::pg_detail
