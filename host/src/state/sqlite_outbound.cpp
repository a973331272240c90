// SQLite engine of the outbound queue (outbound_queue.hpp): the table `outbound_ops`, written by
// the store's writer thread inside its batch transactions (custom jobs), and an in-memory copy of
// the live rows for reads from any thread. Ids are assigned here, in memory, from the largest id
// stored at open (outbound_memory.hpp), so enqueue() returns at once; SQLite's INTEGER PRIMARY
// KEY keeps them.
#include <sqlite3.h>

#include <cstdio>

#include "state/outbound_memory.hpp"
#include "state/sqlite_detail.hpp"
#include "state/store.hpp"

namespace patchbay::state {

namespace {
constexpr const char* kind_names[] = {"placeholder", "send",   "edit",
                                      "final_edit",  "notice", "attachment"};
constexpr int kind_count = sizeof kind_names / sizeof kind_names[0];
constexpr const char* state_names[] = {"pending", "in_flight", "dead"};
}  // namespace

const char* to_string(outbound_kind k) { return kind_names[static_cast<int>(k)]; }
const char* to_string(outbound_state s) { return state_names[static_cast<int>(s)]; }
std::optional<outbound_kind> outbound_kind_from(std::string_view s) {
  for (int i = 0; i < kind_count; ++i)
    if (s == kind_names[i]) return static_cast<outbound_kind>(i);
  return std::nullopt;
}
std::optional<outbound_state> outbound_state_from(std::string_view s) {
  for (int i = 0; i < 3; ++i)
    if (s == state_names[i]) return static_cast<outbound_state>(i);
  return std::nullopt;
}

namespace sqlite_detail {
namespace {

constexpr const char* insert_sql =
    "INSERT OR REPLACE INTO outbound_ops(id, instance, ordering_key, turn_id, kind, payload, "
    "idempotency_key, state, attempts, next_attempt_unix_ms, last_error, created_unix_ms, "
    "spool_path) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
constexpr const char* update_sql =
    "UPDATE outbound_ops SET payload = ?2, state = ?3, attempts = ?4, next_attempt_unix_ms = ?5, "
    "last_error = ?6 WHERE id = ?1";
constexpr const char* delete_sql = "DELETE FROM outbound_ops WHERE id = ?1";
constexpr const char* select_sql =
    "SELECT id, instance, ordering_key, turn_id, kind, payload, idempotency_key, state, attempts, "
    "next_attempt_unix_ms, last_error, created_unix_ms, spool_path FROM outbound_ops ORDER BY id";

// Migration: databases written before attachment ops have no spool_path column.
void add_spool_path_column(sqlite3* db) {
  bool found = false;
  {
    stmt info(db, "PRAGMA table_info(outbound_ops)");
    while (sqlite3_step(info.get()) == SQLITE_ROW) found = found || info.text(1) == "spool_path";
  }
  if (found) return;
  char* err = nullptr;
  int rc =
      sqlite3_exec(db, "ALTER TABLE outbound_ops ADD COLUMN spool_path TEXT NOT NULL DEFAULT ''",
                   nullptr, nullptr, &err);
  std::string msg = err != nullptr ? err : "";
  sqlite3_free(err);
  if (rc != SQLITE_OK) throw std::runtime_error("cannot add outbound_ops.spool_path: " + msg);
}

class sqlite_outbound final : public outbound_queue {
 public:
  sqlite_outbound(sqlite3* db, custom_submit submit, std::function<int64_t()> clock_s)
      : submit_(std::move(submit)),
        clock_s_(std::move(clock_s)),
        insert_((add_spool_path_column(db), db), insert_sql),  // the column first
        update_(db, update_sql),
        delete_(db, delete_sql),
        turn_(db, turn_upsert_sql) {
    stmt s(db, select_sql);
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      outbound_row r;
      r.id = s.integer(0);
      r.instance = s.text(1);
      r.ordering_key = s.text(2);
      r.turn_id = s.text(3);
      r.kind = outbound_kind_from(s.text(4)).value_or(outbound_kind::send);
      r.payload = s.text(5);
      r.idempotency_key = s.text(6);
      r.state = outbound_state_from(s.text(7)).value_or(outbound_state::pending);
      r.attempts = static_cast<int>(s.integer(8));
      r.next_attempt_unix_ms = s.integer(9);
      r.last_error = s.text(10);
      r.created_unix_ms = s.integer(11);
      r.spool_path = s.text(12);
      mem_.load(std::move(r));
    }
  }

  int64_t enqueue(outbound_row row, write_done done, const turn_row* also_save) override {
    std::optional<turn_row> turn;
    if (also_save) turn = *also_save;
    mem_.add(row, clock_s_() * 1000);
    int64_t id = row.id;
    submit_(
        [this, row = std::move(row), turn = std::move(turn)](sqlite3*) {
          if (turn) {
            int rc = save_turn(*turn);
            if (rc != SQLITE_DONE) return rc;
          }
          bind_row(insert_, row);
          return insert_.step();
        },
        std::move(done));
    return id;
  }

  void update(const outbound_row& row, write_done done) override {
    if (!mem_.update(row) || row.state == outbound_state::in_flight) {
      if (done) done({});
      return;
    }
    submit_(
        [this, row](sqlite3*) {
          update_.bind(1, row.id);
          update_.bind(2, row.payload);
          update_.bind(3, std::string(to_string(row.state)));
          update_.bind(4, int64_t{row.attempts});
          update_.bind(5, row.next_attempt_unix_ms);
          update_.bind(6, row.last_error);
          return update_.step();
        },
        std::move(done));
  }

  void remove(int64_t id, write_done done) override {
    std::string spool = mem_.remove(id);
    submit_(
        [this, id, spool = std::move(spool)](sqlite3*) {
          delete_.bind(1, id);
          int rc = delete_.step();
          // The row owned its spool file; the writer thread (never an I/O thread) unlinks it.
          if (rc == SQLITE_DONE && !spool.empty()) std::remove(spool.c_str());
          return rc;
        },
        std::move(done));
  }

  std::vector<outbound_row> rows() override { return mem_.rows(); }
  std::optional<outbound_row> row(int64_t id) override { return mem_.row(id); }
  std::size_t live_count(const std::string& instance) override { return mem_.live_count(instance); }

 private:
  // Writer thread only.
  void bind_row(stmt& s, const outbound_row& r) {
    s.bind(1, r.id);
    s.bind(2, r.instance);
    s.bind(3, r.ordering_key);
    s.bind(4, r.turn_id);
    s.bind(5, std::string(to_string(r.kind)));
    s.bind(6, r.payload);
    s.bind(7, r.idempotency_key);
    s.bind(8, std::string(to_string(r.state)));
    s.bind(9, int64_t{r.attempts});
    s.bind(10, r.next_attempt_unix_ms);
    s.bind(11, r.last_error);
    s.bind(12, r.created_unix_ms);
    s.bind(13, r.spool_path);
  }
  int save_turn(const turn_row& r) {
    bind_turn(turn_, r, clock_s_() * 1000);
    return turn_.step();
  }

  custom_submit submit_;
  std::function<int64_t()> clock_s_;
  stmt insert_, update_, delete_, turn_;  // writer thread only
  outbound_memory mem_;
};

}  // namespace

std::unique_ptr<outbound_queue> open_sqlite_outbound(sqlite3* db, custom_submit submit,
                                                     std::function<int64_t()> clock_s) {
  return std::make_unique<sqlite_outbound>(db, std::move(submit), std::move(clock_s));
}

}  // namespace sqlite_detail
}  // namespace patchbay::state
