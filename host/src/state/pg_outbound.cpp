// PostgreSQL engine of the outbound queue (outbound_queue.hpp): the table `outbound_ops`, written
// by the store's writer thread inside its batch transactions, and the in-memory copy of the live
// rows (outbound_memory.hpp) for reads from any thread.
//
// One replica (issue 17's first step): at open it loads every row; its ids come from an id space
// of its own (below); each row it writes carries its replica id as `owner`, and no claim
// (claim_expires_unix_ms NULL). Claiming rows across replicas (FOR UPDATE SKIP LOCKED, NOTIFY,
// stale-claim sweep) is the next step and will restrict what a replica loads.
//
// Every write is idempotent, since the writer runs it again when a connection broke mid-commit:
// the insert is an upsert by id, update and delete match by id.
#include <cstdio>
#include <utility>

#include "state/outbound_memory.hpp"
#include "state/pg_detail.hpp"

namespace patchbay::state::pg_detail {
namespace {

constexpr const char* insert_sql =
    "INSERT INTO outbound_ops (id, instance, ordering_key, turn_id, kind, payload, "
    "idempotency_key, state, attempts, next_attempt_unix_ms, last_error, created_unix_ms, "
    "spool_path, owner, claim_expires_unix_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint::integer, $10, $11, $12, $13, $14, NULL) "
    "ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, state = excluded.state, "
    "attempts = excluded.attempts, next_attempt_unix_ms = excluded.next_attempt_unix_ms, "
    "last_error = excluded.last_error";
constexpr const char* update_sql =
    "UPDATE outbound_ops SET payload = $2, state = $3, attempts = $4::bigint::integer, "
    "next_attempt_unix_ms = $5, last_error = $6 WHERE id = $1";
constexpr const char* delete_sql = "DELETE FROM outbound_ops WHERE id = $1";
constexpr const char* select_sql =
    "SELECT id, instance, ordering_key, turn_id, kind, payload, idempotency_key, state, "
    "attempts::bigint, next_attempt_unix_ms, last_error, created_unix_ms, spool_path "
    "FROM outbound_ops ORDER BY id";

class pg_outbound final : public outbound_queue {
 public:
  pg_outbound(pg_conn& c, pg_submit submit, std::function<int64_t()> clock_s,
              std::string replica_id)
      : submit_(std::move(submit)), clock_s_(std::move(clock_s)), owner_(std::move(replica_id)) {
    auto res = c.exec(select_sql);
    for (int i = 0; i < res.rows(); ++i) {
      outbound_row r;
      r.id = res.int8(i, 0);
      r.instance = res.bytes(i, 1);
      r.ordering_key = res.bytes(i, 2);
      r.turn_id = res.bytes(i, 3);
      r.kind = outbound_kind_from(res.bytes(i, 4)).value_or(outbound_kind::send);
      r.payload = res.bytes(i, 5);
      r.idempotency_key = res.bytes(i, 6);
      r.state = outbound_state_from(res.bytes(i, 7)).value_or(outbound_state::pending);
      r.attempts = static_cast<int>(res.int8(i, 8));
      r.next_attempt_unix_ms = res.int8(i, 9);
      r.last_error = res.bytes(i, 10);
      r.created_unix_ms = res.int8(i, 11);
      r.spool_path = res.bytes(i, 12);
      mem_.load(std::move(r));
    }
    // Ids of its own for every open (several replicas enqueue at once): the high 32 bits are a
    // number no other open of this database got (a sequence), the low 32 count this open's rows.
    // Within one replica ids keep increasing, across restarts too; no two replicas share one.
    const int64_t epoch = c.exec("SELECT nextval('outbound_id_epochs')").int8(0, 0);
    mem_.ids_after((epoch << 32) - 1);
  }

  int64_t enqueue(outbound_row row, write_done done, const turn_row* also_save) override {
    std::optional<turn_row> turn;
    if (also_save != nullptr) turn = *also_save;
    const int64_t now_ms = clock_s_() * 1000;
    mem_.add(row, now_ms);
    const int64_t id = row.id;
    submit_(
        [this, row = std::move(row), turn = std::move(turn), now_ms](pg_conn& c) {
          if (turn) c.exec(turn_upsert_sql, turn_params(*turn, now_ms, owner_));
          pg_params p;
          p.int8(row.id)
              .text(row.instance)
              .text(row.ordering_key)
              .text(row.turn_id)
              .text(to_string(row.kind))
              .bytea(row.payload)
              .text(row.idempotency_key)
              .text(to_string(row.state))
              .int8(row.attempts)
              .int8(row.next_attempt_unix_ms)
              .bytea(row.last_error)
              .int8(row.created_unix_ms)
              .text(row.spool_path)
              .text(owner_);
          c.exec(insert_sql, p);
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
        [row](pg_conn& c) {
          pg_params p;
          p.int8(row.id)
              .bytea(row.payload)
              .text(to_string(row.state))
              .int8(row.attempts)
              .int8(row.next_attempt_unix_ms)
              .bytea(row.last_error);
          c.exec(update_sql, p);
        },
        std::move(done));
  }

  void remove(int64_t id, write_done done) override {
    std::string spool = mem_.remove(id);
    // The row owned its spool file: unlinked on the writer thread once the removal is durable.
    write_done after = [spool = std::move(spool), done = std::move(done)](const std::string& e) {
      if (e.empty() && !spool.empty()) std::remove(spool.c_str());
      if (done) done(e);
    };
    submit_([id](pg_conn& c) { c.exec(delete_sql, pg_params().int8(id)); }, std::move(after));
  }

  std::vector<outbound_row> rows() override { return mem_.rows(); }
  std::optional<outbound_row> row(int64_t id) override { return mem_.row(id); }
  std::size_t live_count(const std::string& instance) override { return mem_.live_count(instance); }

 private:
  pg_submit submit_;
  std::function<int64_t()> clock_s_;
  std::string owner_;
  outbound_memory mem_;
};

}  // namespace

std::unique_ptr<outbound_queue> open_pg_outbound(pg_conn& c, pg_submit submit,
                                                 std::function<int64_t()> clock_s,
                                                 std::string replica_id) {
  return std::make_unique<pg_outbound>(c, std::move(submit), std::move(clock_s),
                                       std::move(replica_id));
}

}  // namespace patchbay::state::pg_detail
