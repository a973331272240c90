#include "state/pg_migrations.hpp"

#include <iterator>
#include <string>

namespace patchbay::state::pg_detail {

namespace {

// Migration N is migrations[N - 1]; statements of one migration are separated entries. Never edit
// a released migration: append a new one.
//
// Free content (kv values, payloads, rendered text, plans, errors) is bytea: byte-exact like the
// SQLite engine. Identifiers are text. Replica-ready columns (issue 17): `owner` is the replica id
// that wrote the row (store_options.replica_id) and the outbound queue's `claim_expires_unix_ms`
// is the expiry of a replica's claim (NULL = unclaimed); this engine still runs as ONE replica
// (see pg_store.cpp), claiming comes later. inbound_events.claim is the writer's token of the
// write that recorded the row (replica id + sequence), so a retry after a commit of unknown outcome
// recognises its own row as `accepted`.
struct migration {
  std::initializer_list<const char*> statements;
};
const migration migrations[] = {
    {{
        "CREATE TABLE kv (instance text NOT NULL, key text NOT NULL, value bytea NOT NULL, "
        "PRIMARY KEY (instance, key))",
        "CREATE TABLE inbound_events (instance text NOT NULL, event_id text NOT NULL, "
        "received_at bigint NOT NULL, payload bytea NOT NULL, claim text NOT NULL, "
        "PRIMARY KEY (instance, event_id))",
        "CREATE INDEX inbound_events_age ON inbound_events (received_at)",
        "CREATE TABLE turns (turn_id text NOT NULL PRIMARY KEY, instance text NOT NULL, "
        "conversation_id text NOT NULL, thread_id text NOT NULL, "
        "reply_to_message_id text NOT NULL, placeholder_id text NOT NULL, "
        "flushed_text bytea NOT NULL, reply_token_spent boolean NOT NULL, "
        "terminal boolean NOT NULL, outcome text NOT NULL, updated_at_unix_ms bigint NOT NULL, "
        "pending_plan bytea NOT NULL, owner text NOT NULL)",
        "CREATE INDEX turns_state_age ON turns (terminal, updated_at_unix_ms)",
        "CREATE INDEX turns_pending ON turns (turn_id) WHERE pending_plan <> ''::bytea",
        "CREATE TABLE outbound_ops (id bigint NOT NULL PRIMARY KEY, instance text NOT NULL, "
        "ordering_key text NOT NULL, turn_id text NOT NULL, kind text NOT NULL, "
        "payload bytea NOT NULL, idempotency_key text NOT NULL, state text NOT NULL, "
        "attempts integer NOT NULL, next_attempt_unix_ms bigint NOT NULL, "
        "last_error bytea NOT NULL, created_unix_ms bigint NOT NULL, spool_path text NOT NULL, "
        "owner text NOT NULL, claim_expires_unix_ms bigint)",
    }},
    // 2: leases (lease_table.hpp): a heartbeat per replica, an owner and a fencing token per lease.
    {{
        "CREATE TABLE replicas (id text NOT NULL PRIMARY KEY, incarnation text NOT NULL, "
        "heartbeat_unix_ms bigint NOT NULL)",
        "CREATE TABLE leases (name text NOT NULL PRIMARY KEY, owner text NOT NULL, "
        "incarnation text NOT NULL, token bigint NOT NULL)",
        // Outbound ids: each store open takes a number of its own for the ids' high 32 bits
        // (pg_outbound.cpp), so replicas enqueueing at once never pick the same id.
        "CREATE SEQUENCE outbound_id_epochs START 1 MINVALUE 1",
    }},
};

}  // namespace

int64_t latest_schema_version() { return static_cast<int64_t>(std::size(migrations)); }

int64_t migrate(pg_conn& c) {
  c.command("BEGIN");
  try {
    c.exec("SELECT pg_advisory_xact_lock($1)", pg_params().int8(migration_lock_key));
    c.command(
        "CREATE TABLE IF NOT EXISTS patchbay_schema (version bigint NOT NULL PRIMARY KEY, "
        "applied_at timestamptz NOT NULL DEFAULT now())");
    int64_t version =
        c.exec("SELECT coalesce(max(version), 0)::bigint FROM patchbay_schema").int8(0, 0);
    if (version > latest_schema_version())
      throw pg_error("the database's schema version " + std::to_string(version) +
                         " is newer than this build's (" + std::to_string(latest_schema_version()) +
                         ")",
                     false);
    for (int64_t v = version + 1; v <= latest_schema_version(); ++v) {
      for (const char* sql : migrations[v - 1].statements) c.command(sql);
      c.exec("INSERT INTO patchbay_schema (version) VALUES ($1)", pg_params().int8(v));
      version = v;
    }
    c.command("COMMIT");
    return version;
  } catch (...) {
    c.rollback();
    throw;
  }
}

}  // namespace patchbay::state::pg_detail
