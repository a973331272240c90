// Internals of the SQLite state store engine (sqlite_store.cpp): schema, statements, and a small
// prepared-statement wrapper. Not part of the store interface.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "state/lease_table.hpp"
#include "state/outbound_queue.hpp"
#include "state/store.hpp"

namespace patchbay::state::sqlite_detail {

inline constexpr const char* schema[] = {
    "CREATE TABLE IF NOT EXISTS kv (instance TEXT NOT NULL, key TEXT NOT NULL, "
    "value BLOB NOT NULL, PRIMARY KEY (instance, key))",
    "CREATE TABLE IF NOT EXISTS inbound_events (instance TEXT NOT NULL, event_id TEXT NOT NULL, "
    "received_at INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (instance, event_id))",
    "CREATE INDEX IF NOT EXISTS inbound_events_age ON inbound_events(received_at)",
    "CREATE TABLE IF NOT EXISTS turns (turn_id TEXT NOT NULL PRIMARY KEY, "
    "instance TEXT NOT NULL, conversation_id TEXT NOT NULL, thread_id TEXT NOT NULL, "
    "reply_to_message_id TEXT NOT NULL, placeholder_id TEXT NOT NULL, "
    "flushed_text TEXT NOT NULL, reply_token_spent INTEGER NOT NULL, "
    "terminal INTEGER NOT NULL, outcome TEXT NOT NULL, updated_at_unix_ms INTEGER NOT NULL)",
    // Serves both the start-up scan (terminal = 0) and pruning (terminal = 1, by age).
    "CREATE INDEX IF NOT EXISTS turns_state_age ON turns(terminal, updated_at_unix_ms)",
    // The durable outbound queue (outbound_queue.hpp). Confirmed rows are deleted; dead ones stay.
    "CREATE TABLE IF NOT EXISTS outbound_ops (id INTEGER PRIMARY KEY, instance TEXT NOT NULL, "
    "ordering_key TEXT NOT NULL, turn_id TEXT NOT NULL, kind TEXT NOT NULL, "
    "payload TEXT NOT NULL, idempotency_key TEXT NOT NULL, state TEXT NOT NULL, "
    "attempts INTEGER NOT NULL, next_attempt_unix_ms INTEGER NOT NULL, "
    "last_error TEXT NOT NULL, created_unix_ms INTEGER NOT NULL)",
    // Leases (lease_table.hpp): a heartbeat per replica, an owner and a fencing token per lease.
    "CREATE TABLE IF NOT EXISTS replicas (id TEXT NOT NULL PRIMARY KEY, "
    "incarnation TEXT NOT NULL, heartbeat_unix_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS leases (name TEXT NOT NULL PRIMARY KEY, owner TEXT NOT NULL, "
    "incarnation TEXT NOT NULL, token INTEGER NOT NULL)",
    // spool_path (attachment ops) came later: sqlite_outbound.cpp adds the column to older files.
    // turns.pending_plan too: add_pending_plan_column (sqlite_store.cpp).
};

// The partial index behind the start-up scan's "or a plan left" (after the column exists).
inline constexpr const char* pending_plan_index_sql =
    "CREATE INDEX IF NOT EXISTS turns_pending ON turns(turn_id) WHERE pending_plan <> ''";

// A key older than the TTL cutoff (?5) is recorded afresh; a younger one is left alone (0 changes).
inline constexpr const char* inbound_sql =
    "INSERT INTO inbound_events(instance, event_id, received_at, payload) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(instance, event_id) DO UPDATE SET received_at = excluded.received_at, "
    "payload = excluded.payload WHERE inbound_events.received_at < ?5";

// Terminal is sticky: a stored terminal row takes only terminal saves, and keeps its first
// outcome; a spent reply token stays spent. (SET expressions see the row as it was.)
inline constexpr const char* turn_upsert_sql =
    "INSERT INTO turns(turn_id, instance, conversation_id, thread_id, reply_to_message_id, "
    "placeholder_id, flushed_text, reply_token_spent, terminal, outcome, updated_at_unix_ms, "
    "pending_plan) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
    "ON CONFLICT(turn_id) DO UPDATE SET instance = excluded.instance, "
    "conversation_id = excluded.conversation_id, thread_id = excluded.thread_id, "
    "reply_to_message_id = excluded.reply_to_message_id, "
    "placeholder_id = excluded.placeholder_id, flushed_text = excluded.flushed_text, "
    "reply_token_spent = max(turns.reply_token_spent, excluded.reply_token_spent), "
    "outcome = CASE WHEN turns.terminal <> 0 THEN turns.outcome ELSE excluded.outcome END, "
    "terminal = excluded.terminal, updated_at_unix_ms = excluded.updated_at_unix_ms, "
    "pending_plan = excluded.pending_plan "
    "WHERE turns.terminal = 0 OR excluded.terminal <> 0";

// Unfinished: not terminal, or terminal with a plan left. With the stored inbound message of a
// channel turn (turn id = "<instance>:<event id>"), so a turn that never showed anything can be run
// again after a restart.
inline constexpr const char* unfinished_sql =
    "SELECT t.turn_id, t.instance, t.conversation_id, t.thread_id, t.reply_to_message_id, "
    "t.placeholder_id, t.flushed_text, t.reply_token_spent, t.terminal, t.outcome, "
    "t.updated_at_unix_ms, coalesce(i.payload, ''), t.pending_plan FROM turns t "
    "LEFT JOIN inbound_events i "
    "ON i.instance = t.instance AND i.event_id = substr(t.turn_id, length(t.instance) + 2) "
    "AND substr(t.turn_id, 1, length(t.instance) + 1) = t.instance || ':' "
    "WHERE t.terminal = 0 OR t.pending_plan <> '' ORDER BY t.updated_at_unix_ms, t.turn_id";

// Maintenance deletes in chunks, one short transaction each, so a large backlog (say, after a long
// downtime) never holds queued writes back for long: the writer interleaves chunks with batches.
inline constexpr int prune_chunk = 2000;
inline constexpr const char* prune_inbound_sql =
    "DELETE FROM inbound_events WHERE rowid IN (SELECT rowid FROM inbound_events "
    "WHERE received_at < ?1 LIMIT ?2)";
inline constexpr const char* prune_turns_sql =
    "DELETE FROM turns WHERE rowid IN (SELECT rowid FROM turns "
    "WHERE terminal = 1 AND updated_at_unix_ms < ?1 LIMIT ?2)";

class stmt {
 public:
  stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite prepare failed: ") + sqlite3_errmsg(db));
  }
  ~stmt() { sqlite3_finalize(s_); }
  stmt(const stmt&) = delete;
  stmt& operator=(const stmt&) = delete;
  sqlite3_stmt* get() { return s_; }
  void bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  // One step of a statement that returns no rows; resets it for the next use.
  int step() {
    int rc = sqlite3_step(s_);
    sqlite3_reset(s_);
    return rc;
  }
  std::string text(int i) {  // byte-exact (embedded NULs survive)
    auto* p = static_cast<const char*>(sqlite3_column_blob(s_, i));
    return std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(s_, i)));
  }
  int64_t integer(int i) { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// Binds a turn row to the turn upsert (turn_upsert_sql's parameters ?1..?12), stamping rows saved
// without a time with `now_unix_ms`.
inline void bind_turn(stmt& s, const turn_row& r, int64_t now_unix_ms) {
  s.bind(1, r.turn_id);
  s.bind(2, r.instance);
  s.bind(3, r.conversation_id);
  s.bind(4, r.thread_id);
  s.bind(5, r.reply_to_message_id);
  s.bind(6, r.placeholder_id);
  s.bind(7, r.flushed_text);
  s.bind(8, int64_t{r.reply_token_spent ? 1 : 0});
  s.bind(9, int64_t{r.terminal ? 1 : 0});
  s.bind(10, r.outcome);
  s.bind(11, r.updated_at_unix_ms != 0 ? r.updated_at_unix_ms : now_unix_ms);
  s.bind(12, r.pending_plan);
}

// A write of another part of the engine (the outbound queue), run by the store's writer thread
// inside its batch transaction, in the one order of all writes: returns SQLITE_DONE on success.
using custom_apply = std::function<int(sqlite3*)>;
using custom_submit = std::function<void(custom_apply, write_done)>;

// The outbound queue of a SQLite store (sqlite_outbound.cpp): reads its live rows from `db` now
// (on the calling thread, before the writer starts) and prepares its statements; later writes go
// through `submit`. `clock_s`: unix seconds for created stamps. Destroy before closing `db`.
std::unique_ptr<outbound_queue> open_sqlite_outbound(sqlite3* db, custom_submit submit,
                                                     std::function<int64_t()> clock_s);

// The leases of a SQLite store (sqlite_leases.cpp), written through `submit`. `clock_s`: unix
// seconds for heartbeats (called on the writer thread).
std::unique_ptr<lease_table> open_sqlite_leases(custom_submit submit,
                                                std::function<int64_t()> clock_s);
// Inside a writer transaction: whether `f` still holds its lease with its token. Returns
// SQLITE_DONE, or the error code of the failed read.
int fence_holds(sqlite3* db, const fence& f, bool& holds);

}  // namespace patchbay::state::sqlite_detail
