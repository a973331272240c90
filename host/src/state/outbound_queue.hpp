// The durable outbound queue (docs/architecture.md §7): every send, edit, final edit and notice the
// renderer decides is a row here BEFORE it is attempted, and stays until the platform confirmed
// it (the row is removed) or its retry budget is spent (the row stays as a dead letter with the
// last error, until an operator retries or drops it).
//
// An interface, so that every engine of the state store can hold it: the SQLite engine
// (sqlite_outbound.cpp) writes through the store's single writer thread, in the same order as
// every other write, and serves reads from an in-memory copy of the live rows (bounded by the
// worker's per-channel cap). All methods are thread-safe and never block on disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace patchbay::state {

struct turn_row;
using write_done = std::function<void(const std::string& error)>;

enum class outbound_kind {
  placeholder,  // the first message of a streamed answer (its id is what later edits target)
  send,         // a new message: a later part of the answer, a content message
  edit,         // a streaming edit of the placeholder
  final_edit,   // the edit that shows the finished answer
  notice,       // an error or "interrupted" notice (an edit of the placeholder, or a message)
  attachment    // a file (a send whose message carries an attachment; its spool file is the row's)
};
enum class outbound_state {
  pending,    // waiting for its turn in its ordering key, or for its next attempt
  in_flight,  // handed to the plugin; not confirmed yet (kept in memory only: a crash leaves it
              // pending, and the retry carries the same idempotency key)
  dead        // the retry budget is spent or the platform refused it for good: see last_error
};

const char* to_string(outbound_kind k);
const char* to_string(outbound_state s);
std::optional<outbound_kind> outbound_kind_from(std::string_view s);
std::optional<outbound_state> outbound_state_from(std::string_view s);

struct outbound_row {
  int64_t id = 0;            // assigned by enqueue(); increasing, never reused
  std::string instance;      // the channel instance
  std::string ordering_key;  // ops of one key are attempted one after another, by id
  std::string turn_id;       // the turn it belongs to ("" for none)
  outbound_kind kind = outbound_kind::send;
  std::string payload;          // the outbound message or edit request (messages/ JSON form)
  std::string idempotency_key;  // stable across restarts: turn id + op sequence
  outbound_state state = outbound_state::pending;
  int attempts = 0;                  // failed attempts counted toward the retry budget
  int64_t next_attempt_unix_ms = 0;  // 0 = now
  std::string last_error;            // "" or "<class>: <message>"
  int64_t created_unix_ms = 0;       // 0 = stamped by the engine
  // A host-owned file the op carries (an attachment's spool copy): the row owns it, and the engine
  // deletes it once the row's removal is durable. "" = none.
  std::string spool_path;
};

class outbound_queue {
 public:
  virtual ~outbound_queue() = default;

  // Records `row` as pending (its id, state and attempts are set here) and returns its id at once;
  // `done` (on the writer thread) once durable. With `also_save`, that turn row is saved in the
  // same transaction (the turn's terminal state and its final op are durable together or not at
  // all; store::save_turn's rules apply).
  virtual int64_t enqueue(outbound_row row, write_done done,
                          const turn_row* also_save = nullptr) = 0;
  // Writes the row's state, attempts, next attempt, last error and payload (matched by id; a row
  // that is gone is left gone). An in_flight state is kept in memory only.
  virtual void update(const outbound_row& row, write_done done) = 0;
  // Removes the row: the platform confirmed it, or an operator dropped it. Its spool file (if any)
  // is deleted once the removal is durable.
  virtual void remove(int64_t id, write_done done) = 0;

  // The live rows (pending, in flight, dead), by id. From memory; any thread.
  virtual std::vector<outbound_row> rows() = 0;
  virtual std::optional<outbound_row> row(int64_t id) = 0;
  // Live rows of one channel instance that are not dead (the worker's cap), from memory.
  virtual std::size_t live_count(const std::string& instance) = 0;
};

}  // namespace patchbay::state
