// patchbay state store: the one interface the host keeps durable state through (instance
// key-values, inbound dedup, per-turn rendering state). Engines: SQLite (embedded default) and
// PostgreSQL (state/pg_store.hpp). All methods are thread-safe. Except unfinished_turns()
// (start-up only) none blocks on disk or network: key-value reads are served from memory, writes
// are queued to the engine's single writer — in one order, whatever their kind — and complete
// through a callback on the writer thread once durable (or failed).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "state/lease_table.hpp"
#include "state/outbound_queue.hpp"

namespace patchbay::state {

// Empty string = success (durable); otherwise an operator-facing error text.
using write_done = std::function<void(const std::string& error)>;

enum class inbound_outcome { accepted, duplicate, failed };
using inbound_done = std::function<void(inbound_outcome, const std::string& error)>;

// Unix time in whole seconds.
using clock_fn = std::function<int64_t()>;
int64_t system_clock_unix_s();

// The durable state of one turn: where its answer goes and how far rendering got. Plain data of
// its own (the state layer knows nothing of the renderer); the host maps it to and from the
// renderer's record.
struct turn_row {
  std::string turn_id;   // primary key
  std::string instance;  // channel instance id, or "api"
  std::string conversation_id;
  std::string thread_id;
  std::string reply_to_message_id;
  std::string placeholder_id;  // "" until the placeholder message exists
  std::string flushed_text;    // what the platform shows now
  bool reply_token_spent = false;
  bool terminal = false;           // the answer is decided; never reverts (see save_turn)
  std::string outcome;             // "", "complete" or "error"
  int64_t updated_at_unix_ms = 0;  // wall-clock ms; 0 = stamped by the store with its clock
  // A terminal turn's operations decided but not queued yet (render/pending_plan.hpp JSON): a
  // restart continues them. "" = nothing left.
  std::string pending_plan;
  // unfinished_turns() only: the stored inbound message of a channel turn (messages/ JSON form),
  // "" when the turn is not a channel turn or its dedup key expired. Not written by save_turn.
  std::string inbound_payload;
};

struct store_options {
  std::size_t max_queued_writes = 10'000;  // beyond this writes fail fast ("store overloaded")
  // Inbound event ids are duplicates for this long after they were recorded (exactly: an older
  // key is accepted again even before maintenance removed it).
  std::chrono::seconds dedup_ttl{std::chrono::hours(24 * 7)};
  // Terminal turns are removed this long after their last save. Unfinished turns are never pruned.
  std::chrono::seconds turn_retention{std::chrono::hours(24 * 7)};
  // Expired dedup keys and old terminal turns are deleted by the writer thread at most once per
  // this interval (measured with `clock`): when it wakes for work, or after this long idle.
  // The first pass runs when the store opens.
  std::chrono::seconds maintenance_interval{std::chrono::minutes(10)};
  // Unix seconds for received_at, turn stamps, expiry and the maintenance schedule. Called on the
  // writer thread only. Empty = system clock.
  clock_fn clock = system_clock_unix_s;
  // This process's name among replicas sharing one database (PostgreSQL engine: the `owner` of the
  // rows it writes). "" = a random id per process.
  std::string replica_id;
};

class store {
 public:
  virtual ~store() = default;

  virtual std::optional<std::string> kv_get(const std::string& instance,
                                            const std::string& key) = 0;
  virtual void kv_set(const std::string& instance, const std::string& key, std::string value,
                      write_done done) = 0;
  virtual void kv_delete(const std::string& instance, const std::string& key, write_done done) = 0;

  // A kv_set (a value) or kv_delete (nullopt) that lands only while `f` still holds its lease with
  // its token (lease_table.hpp): once another replica took the lease over, nothing is written and
  // `done` gets an error starting "lease lost". The mirror is updated only when the write lands.
  virtual void kv_write_fenced(const std::string& instance, const std::string& key,
                               std::optional<std::string> value, fence f, write_done done) = 0;
  // Reads one instance's key-values from the database into the mirror again, replacing what the
  // mirror held for it: a replica taking a lease over sees what the previous holder wrote. Blocks
  // on the database (control thread only, never an io thread). Throws std::runtime_error.
  virtual void kv_reload(const std::string& instance) = 0;

  // Makes an inbound event durable, keyed by (instance, event_id). A key recorded within the dedup
  // TTL completes as `duplicate` without storing anything; an older one is recorded afresh.
  virtual void record_inbound(const std::string& instance, const std::string& event_id,
                              std::string payload_json, inbound_done done) = 0;

  // The fallback dedup key (state/inbound_fingerprint.hpp) of a message whose event id was
  // accepted: recorded like an event id, in a namespace of its own, with the same TTL and pruning;
  // completes `duplicate` when the same (instance, fingerprint) was recorded within the TTL.
  virtual void record_fingerprint(const std::string& instance, const std::string& fingerprint,
                                  inbound_done done) = 0;

  // Upserts the row by turn_id, through the writer queue like every other write. Once a turn is
  // stored as terminal it stays terminal: a later non-terminal save of it is ignored (and completes
  // successfully), later terminal saves update it but keep the first terminal outcome; a spent
  // reply token never becomes unspent. This is what keeps a restart or a redelivery from
  // rendering an answer twice.
  virtual void save_turn(const turn_row& row, write_done done) = 0;

  // The turns stored as not terminal, and the terminal ones with a pending plan, oldest save first.
  // START-UP ONLY: reads the database on the calling thread and may block on disk and on a commit
  // in progress; sees the saves that have completed, not those still queued. Throws
  // std::runtime_error if the read fails.
  virtual std::vector<turn_row> unfinished_turns() = 0;

  // The durable outbound queue, written through the same writer (outbound_queue.hpp).
  virtual outbound_queue& outbound() = 0;
  // The replicas' heartbeats and leases, written through the same writer (lease_table.hpp).
  virtual lease_table& leases() = 0;

  // Completes queued writes, then stops the writer. Later writes fail with "store closed".
  virtual void close() = 0;

  // "" while healthy; otherwise why the store is degraded (say, its database is unreachable and
  // writes wait for the reconnect), for the host's health answers. Never holds a secret. Any
  // thread.
  virtual std::string problem() const { return {}; }
};

// Opens (creating if needed) a SQLite database file. Throws std::runtime_error naming the path.
std::unique_ptr<store> open_sqlite_store(const std::string& path, store_options options = {});

}  // namespace patchbay::state
