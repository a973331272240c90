// Internals of the PostgreSQL state store engine (pg_store.cpp, pg_outbound.cpp): the statements
// both use and the seam through which the outbound queue writes via the store's writer thread.
// Not part of the store interface.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "state/outbound_queue.hpp"
#include "state/pg_conn.hpp"
#include "state/store.hpp"

namespace patchbay::state::pg_detail {

// Terminal is sticky (store::save_turn): a stored terminal row takes only terminal saves and keeps
// its first outcome; a spent reply token stays spent. Idempotent: applying a save twice (a retry
// after a commit of unknown outcome) leaves what applying it once does.
inline constexpr const char* turn_upsert_sql =
    "INSERT INTO turns AS t (turn_id, instance, conversation_id, thread_id, reply_to_message_id, "
    "placeholder_id, flushed_text, reply_token_spent, terminal, outcome, updated_at_unix_ms, "
    "pending_plan, owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
    "ON CONFLICT (turn_id) DO UPDATE SET instance = excluded.instance, "
    "conversation_id = excluded.conversation_id, thread_id = excluded.thread_id, "
    "reply_to_message_id = excluded.reply_to_message_id, "
    "placeholder_id = excluded.placeholder_id, flushed_text = excluded.flushed_text, "
    "reply_token_spent = t.reply_token_spent OR excluded.reply_token_spent, "
    "outcome = CASE WHEN t.terminal THEN t.outcome ELSE excluded.outcome END, "
    "terminal = excluded.terminal, updated_at_unix_ms = excluded.updated_at_unix_ms, "
    "pending_plan = excluded.pending_plan, owner = excluded.owner "
    "WHERE NOT t.terminal OR excluded.terminal";

inline pg_params turn_params(const turn_row& r, int64_t now_unix_ms, const std::string& owner) {
  pg_params p;
  p.text(r.turn_id)
      .text(r.instance)
      .text(r.conversation_id)
      .text(r.thread_id)
      .text(r.reply_to_message_id)
      .text(r.placeholder_id)
      .bytea(r.flushed_text)
      .boolean(r.reply_token_spent)
      .boolean(r.terminal)
      .text(r.outcome)
      .int8(r.updated_at_unix_ms != 0 ? r.updated_at_unix_ms : now_unix_ms)
      .bytea(r.pending_plan)
      .text(owner);
  return p;
}

// A write of another part of the engine (the outbound queue), run by the store's writer thread
// inside its batch transaction, in the one order of all writes. Throws pg_error on failure. Must be
// idempotent: after a connection broke mid-commit the writer runs it again.
using pg_apply = std::function<void(pg_conn&)>;
using pg_submit = std::function<void(pg_apply, write_done)>;

// The outbound queue of a PostgreSQL store (pg_outbound.cpp): reads the live rows through `c` now
// (on the calling thread, before the writer starts); later writes go through `submit`.
std::unique_ptr<outbound_queue> open_pg_outbound(pg_conn& c, pg_submit submit,
                                                 std::function<int64_t()> clock_s,
                                                 std::string replica_id);

// The leases of a PostgreSQL store (pg_leases.cpp), written through `submit`. `fixed_clock_s`:
// unix seconds for heartbeats when the store was opened with a clock of its own (tests); empty =
// the database server's clock, one clock for every replica.
std::unique_ptr<lease_table> open_pg_leases(pg_submit submit,
                                            std::function<int64_t()> fixed_clock_s);
// Inside a writer transaction: whether `f` still holds its lease with its token (the lease row is
// locked FOR SHARE until the transaction ends). Throws pg_error.
bool fence_holds(pg_conn& c, const fence& f);

}  // namespace patchbay::state::pg_detail
