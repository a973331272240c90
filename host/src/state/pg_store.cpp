// PostgreSQL engine of the state store. The SQLite engine's contract over a network:
// - Writes go through one bounded queue (fail fast "state store overloaded") to one writer thread
//   that applies them in order, in batches of one transaction each, and completes each callback
//   once the COMMIT returned.
// - When the connection breaks, the writer keeps its batch, reports the problem (problem()),
//   reconnects with jittered backoff and applies the batch again. A COMMIT whose answer was lost
//   has an unknown outcome, so every write is idempotent: key-value and turn writes are upserts
//   (save_turn's terminal rules live in the SQL), the outbound queue's writes match by id, and an
//   inbound record carries the writer's claim token (replica id, a per-open nonce and a sequence)
//   so that a retry finding its own row completes `accepted`, never `duplicate`.
// - A statement that fails (the server answered an error, a statement timeout) fails its batch's
//   writes one by one: the batch is retried a write per transaction so only the culprit fails.
// - Key-value reads come from an in-memory mirror, kept across replicas by LISTEN/NOTIFY
//   (pg_kv_listener.hpp); outbound reads from memory (pg_outbound.cpp); unfinished_turns() reads on
//   the caller's thread through a connection of its own.
// - One replica: it loads every row at open (rows keep their `owner`, the replica id that wrote
//   them). Claims across replicas are the next step (issue 17).
#include "state/pg_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <variant>
#include <vector>

#include "patchbay/common/backoff.hpp"
#include "state/pg_detail.hpp"
#include "state/pg_kv_listener.hpp"
#include "state/pg_migrations.hpp"

namespace patchbay::state {
namespace {
using namespace pg_detail;

constexpr const char* kv_put_sql =
    "WITH w AS (INSERT INTO kv (instance, key, value) VALUES ($1, $2, $3) "
    "ON CONFLICT (instance, key) DO UPDATE SET value = excluded.value) "
    "SELECT pg_notify('patchbay_kv', $4)";
constexpr const char* kv_del_sql =
    "WITH d AS (DELETE FROM kv WHERE instance = $1 AND key = $2) "
    "SELECT pg_notify('patchbay_kv', $3)";
// Recorded (or re-recorded past the TTL cutoff $6) by this write, or by an earlier attempt of this
// same write (its claim token $5) whose commit answer was lost.
constexpr const char* inbound_sql =
    "WITH up AS (INSERT INTO inbound_events AS e (instance, event_id, received_at, payload, claim) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (instance, event_id) DO UPDATE "
    "SET received_at = excluded.received_at, payload = excluded.payload, claim = excluded.claim "
    "WHERE e.received_at < $6 RETURNING 1) "
    "SELECT EXISTS (SELECT 1 FROM up) OR EXISTS (SELECT 1 FROM inbound_events "
    "WHERE instance = $1 AND event_id = $2 AND claim = $5)";
constexpr const char* unfinished_sql =
    "SELECT t.turn_id, t.instance, t.conversation_id, t.thread_id, t.reply_to_message_id, "
    "t.placeholder_id, t.flushed_text, t.reply_token_spent, t.terminal, t.outcome, "
    "t.updated_at_unix_ms, coalesce(i.payload, ''::bytea), t.pending_plan FROM turns t "
    "LEFT JOIN inbound_events i ON i.instance = t.instance "
    "AND left(t.turn_id, length(t.instance) + 1) = t.instance || ':' "
    "AND i.event_id = substr(t.turn_id, length(t.instance) + 2) "
    "WHERE NOT t.terminal OR t.pending_plan <> ''::bytea "
    "ORDER BY t.updated_at_unix_ms, t.turn_id COLLATE \"C\"";
constexpr int64_t prune_chunk = 2000;
constexpr const char* prune_inbound_sql =
    "DELETE FROM inbound_events WHERE ctid = ANY (ARRAY (SELECT ctid FROM inbound_events "
    "WHERE received_at < $1 LIMIT $2))";
constexpr const char* prune_turns_sql =
    "DELETE FROM turns WHERE ctid = ANY (ARRAY (SELECT ctid FROM turns "
    "WHERE terminal AND updated_at_unix_ms < $1 LIMIT $2))";

// One key-value write, announced to the other replicas' mirrors (pg_kv_listener.hpp).
void write_kv(pg_conn& c, const std::string& instance, const std::string& key,
              const std::optional<std::string>& value) {
  const auto note = kv_notify_payload(instance, key);
  if (value)
    c.exec(kv_put_sql, pg_params().text(instance).text(key).bytea(*value).text(note));
  else
    c.exec(kv_del_sql, pg_params().text(instance).text(key).text(note));
}

std::string random_hex(int bytes) {
  std::random_device rd;
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    const auto b = rd() & 0xffU;
    out += digits[b >> 4];
    out += digits[b & 0xfU];
  }
  return out;
}

const std::string& process_replica_id() {
  static const std::string id = random_hex(8);
  return id;
}

struct kv_write {
  std::string instance, key;
  std::optional<std::string> value;  // nullopt = delete
  write_done done;
};
struct inbound_write {
  std::string instance, event_id, payload, claim;
  inbound_done done;
  bool accepted = false;  // set by apply
};
struct turn_write {
  turn_row row;
  write_done done;
};
struct custom_write {  // the outbound queue's
  pg_apply apply;
  write_done done;
};
using job = std::variant<kv_write, inbound_write, turn_write, custom_write>;
using kv_key = std::pair<std::string, std::string>;

class pg_store final : public store {
 public:
  pg_store(const postgres_options& pg, store_options opt)
      : opt_(std::move(opt)),
        settings_{pg.url, pg.connect_timeout, pg.statement_timeout, pg.tcp_user_timeout,
                  "patchbay"},
        retry_(common::backoff_policy{pg.reconnect_initial, 2.0, pg.reconnect_cap, 0.2}) {
    if (!opt_.clock) opt_.clock = system_clock_unix_s;
    if (opt_.replica_id.empty()) opt_.replica_id = process_replica_id();
    claim_prefix_ = opt_.replica_id + ":" + random_hex(4) + ":";
    try {
      conn_ = std::make_unique<pg_conn>(settings_);
      migrate(*conn_);
      load_kv(*conn_);
      outbound_ = open_pg_outbound(
          *conn_,
          [this](pg_apply a, write_done d) {
            enqueue(custom_write{std::move(a), std::move(d)});
          },
          opt_.clock, opt_.replica_id);
      // Heartbeats on the server's clock unless a test gave the store a clock of its own.
      const bool system_clock = opt_.clock.target<int64_t (*)()>() != nullptr &&
                                *opt_.clock.target<int64_t (*)()>() == &system_clock_unix_s;
      leases_ = open_pg_leases(
          [this](pg_apply a, write_done d) {
            enqueue(custom_write{std::move(a), std::move(d)});
          },
          system_clock ? std::function<int64_t()>() : opt_.clock);
    } catch (const pg_error& e) {
      throw std::runtime_error(std::string("cannot open the PostgreSQL state store: ") + e.what());
    }
    writer_pid_ = conn_->backend_pid();
    writer_ = std::thread([this] { run_writer(); });
    listener_ = std::make_unique<kv_listener>(
        settings_,
        kv_listener::callbacks{
            [this](pg_conn& c, const std::string& i, const std::string& k) { refresh(c, i, k); },
            [this](pg_conn& c) { load_kv(c); }, [this] { return writer_pid_.load(); },
            [this](const std::string& p) { set_problem(listener_problem_, p); }});
  }

  ~pg_store() override { close(); }

  std::optional<std::string> kv_get(const std::string& instance, const std::string& key) override {
    std::lock_guard lk(cache_mu_);
    auto it = cache_.find({instance, key});
    if (it == cache_.end()) return std::nullopt;
    return it->second;
  }

  void kv_set(const std::string& instance, const std::string& key, std::string value,
              write_done done) override {
    {
      std::lock_guard lk(cache_mu_);
      cache_[{instance, key}] = value;
      ++local_pending_[{instance, key}];
    }
    enqueue(kv_write{instance, key, std::move(value), std::move(done)});
  }

  void kv_delete(const std::string& instance, const std::string& key, write_done done) override {
    {
      std::lock_guard lk(cache_mu_);
      cache_.erase({instance, key});
      ++local_pending_[{instance, key}];
    }
    enqueue(kv_write{instance, key, std::nullopt, std::move(done)});
  }

  void kv_write_fenced(const std::string& instance, const std::string& key,
                       std::optional<std::string> value, fence f, write_done done) override {
    {  // like kv_set: the mirror shows the write at once (a lost lease stops the channel, and a
       // replica taking the lease again reloads the instance: kv_reload)
      std::lock_guard lk(cache_mu_);
      if (value)
        cache_[{instance, key}] = *value;
      else
        cache_.erase({instance, key});
      ++local_pending_[{instance, key}];
    }
    auto lost = std::make_shared<bool>(false);
    std::string lease = f.lease;
    auto apply = [instance, key, value = std::move(value), f = std::move(f), lost](pg_conn& c) {
      *lost = !fence_holds(c, f);
      if (!*lost) write_kv(c, instance, key, value);
    };
    auto finish = [this, instance, key, lease = std::move(lease), lost,
                   done = std::move(done)](const std::string& err) {
      kv_written(kv_write{instance, key, std::nullopt, nullptr});
      if (!done) return;
      if (err.empty() && *lost)
        done("lease lost: " + lease + " was taken over by another replica");
      else
        done(err);
    };
    enqueue(custom_write{std::move(apply), std::move(finish)});
  }

  void kv_reload(const std::string& instance) override {
    std::map<std::string, std::string> fresh;
    {
      std::lock_guard lk(reader_mu_);
      try {
        if (!reader_ || !reader_->ok()) reader_ = std::make_unique<pg_conn>(settings_);
        auto res = reader_->exec("SELECT key, value FROM kv WHERE instance = $1",
                                 pg_params().text(instance));
        for (int i = 0; i < res.rows(); ++i) fresh[res.bytes(i, 0)] = res.bytes(i, 1);
      } catch (const pg_error& e) {
        reader_.reset();
        throw std::runtime_error("cannot read the key-values of " + instance + ": " + e.what());
      }
    }
    std::lock_guard lk(cache_mu_);
    auto it = cache_.lower_bound({instance, std::string()});
    while (it != cache_.end() && it->first.first == instance) {
      if (local_pending_.count(it->first) != 0) {
        fresh.erase(it->first.second);  // our own newer write is queued
        ++it;
      } else {
        it = cache_.erase(it);
      }
    }
    for (auto& [k, v] : fresh) cache_[{instance, k}] = std::move(v);
  }

  void record_inbound(const std::string& instance, const std::string& event_id,
                      std::string payload_json, inbound_done done) override {
    enqueue(inbound_write{instance, event_id, std::move(payload_json),
                          claim_prefix_ + std::to_string(++claim_seq_), std::move(done)});
  }

  // The same namespace of its own as the SQLite engine ("\x1f" "fp:" + hex).
  void record_fingerprint(const std::string& instance, const std::string& fingerprint,
                          inbound_done done) override {
    record_inbound(instance,
                   "\x1f"
                   "fp:" +
                       fingerprint,
                   "{}", std::move(done));
  }

  void save_turn(const turn_row& row, write_done done) override {
    enqueue(turn_write{row, std::move(done)});
  }

  std::vector<turn_row> unfinished_turns() override {
    std::lock_guard lk(reader_mu_);
    try {
      if (!reader_ || !reader_->ok()) reader_ = std::make_unique<pg_conn>(settings_);
      auto res = reader_->exec(unfinished_sql);
      std::vector<turn_row> rows;
      for (int i = 0; i < res.rows(); ++i) {
        turn_row r;
        r.turn_id = res.bytes(i, 0);
        r.instance = res.bytes(i, 1);
        r.conversation_id = res.bytes(i, 2);
        r.thread_id = res.bytes(i, 3);
        r.reply_to_message_id = res.bytes(i, 4);
        r.placeholder_id = res.bytes(i, 5);
        r.flushed_text = res.bytes(i, 6);
        r.reply_token_spent = res.boolean(i, 7);
        r.terminal = res.boolean(i, 8);
        r.outcome = res.bytes(i, 9);
        r.updated_at_unix_ms = res.int8(i, 10);
        r.inbound_payload = res.bytes(i, 11);
        r.pending_plan = res.bytes(i, 12);
        rows.push_back(std::move(r));
      }
      return rows;
    } catch (const pg_error& e) {
      reader_.reset();
      throw std::runtime_error(std::string("cannot read unfinished turns: ") + e.what());
    }
  }

  outbound_queue& outbound() override { return *outbound_; }
  lease_table& leases() override { return *leases_; }

  void close() override {
    {
      std::lock_guard lk(mu_);
      if (closing_) return;
      closing_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (listener_) listener_->stop();
  }

  std::string problem() const override {
    std::lock_guard lk(problem_mu_);
    return !writer_problem_.empty() ? writer_problem_ : listener_problem_;
  }

 private:
  void set_problem(std::string& which, const std::string& p) {
    std::lock_guard lk(problem_mu_);
    which = p;
  }

  // The mirror from the database; keys with local writes still queued keep their local value.
  void load_kv(pg_conn& c) {
    auto res = c.exec("SELECT instance, key, value FROM kv");
    std::map<kv_key, std::string> fresh;
    for (int i = 0; i < res.rows(); ++i)
      fresh[{res.bytes(i, 0), res.bytes(i, 1)}] = res.bytes(i, 2);
    std::lock_guard lk(cache_mu_);
    for (const auto& [k, n] : local_pending_) {
      auto it = cache_.find(k);
      if (it != cache_.end())
        fresh[k] = it->second;
      else
        fresh.erase(k);
    }
    cache_ = std::move(fresh);
  }

  void refresh(pg_conn& c, const std::string& instance, const std::string& key) {
    auto res = c.exec("SELECT value FROM kv WHERE instance = $1 AND key = $2",
                      pg_params().text(instance).text(key));
    std::lock_guard lk(cache_mu_);
    if (local_pending_.count({instance, key}) != 0) return;  // our own newer write is queued
    if (res.rows() == 0)
      cache_.erase({instance, key});
    else
      cache_[{instance, key}] = res.bytes(0, 0);
  }

  void kv_written(const kv_write& k) {
    std::lock_guard lk(cache_mu_);
    auto it = local_pending_.find({k.instance, k.key});
    if (it != local_pending_.end() && --it->second == 0) local_pending_.erase(it);
  }

  void complete(job& j, const std::string& error) {
    if (auto* k = std::get_if<kv_write>(&j)) {
      kv_written(*k);
      if (k->done) k->done(error);
    } else if (auto* t = std::get_if<turn_write>(&j)) {
      if (t->done) t->done(error);
    } else if (auto* c = std::get_if<custom_write>(&j)) {
      if (c->done) c->done(error);
    } else {
      auto& in = std::get<inbound_write>(j);
      const auto outcome = !error.empty() ? inbound_outcome::failed
                           : in.accepted  ? inbound_outcome::accepted
                                          : inbound_outcome::duplicate;
      if (in.done) in.done(outcome, error);
    }
  }

  void enqueue(job j) {
    std::unique_lock lk(mu_);
    if (closing_) {
      lk.unlock();
      complete(j, "state store closed");
      return;
    }
    if (queue_.size() >= opt_.max_queued_writes) {
      lk.unlock();
      complete(j, "state store overloaded (write queue full)");
      return;
    }
    queue_.push_back(std::move(j));
    lk.unlock();
    cv_.notify_one();
  }

  void run_writer();
  bool reconnect(bool closing);
  bool maintenance_due();
  void maintain();
  void apply(job& j, int64_t now_s);
  bool commit(std::vector<job>& batch);

  store_options opt_;
  pg_settings settings_;
  std::string claim_prefix_;
  std::atomic<uint64_t> claim_seq_{0};
  std::mutex cache_mu_;
  std::map<kv_key, std::string> cache_;
  std::map<kv_key, int> local_pending_;  // kv writes queued, not yet committed
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> queue_;
  bool closing_ = false;
  mutable std::mutex problem_mu_;
  std::string writer_problem_, listener_problem_;
  std::atomic<int> writer_pid_{0};
  std::mutex reader_mu_;
  std::unique_ptr<pg_conn> reader_;
  // Writer thread only (after the constructor).
  std::unique_ptr<pg_conn> conn_;
  common::backoff retry_;
  std::optional<int64_t> last_maintenance_;
  bool prune_backlog_ = false;
  std::unique_ptr<outbound_queue> outbound_;
  std::unique_ptr<lease_table> leases_;
  std::thread writer_;
  std::unique_ptr<kv_listener> listener_;
};

// Waits for work, or at most the maintenance interval when idle, or not at all before the first
// maintenance pass, while a pass has chunks left, and while a batch waits for a reconnect.
void pg_store::run_writer() {
  auto idle_wait =
      std::max<std::chrono::seconds>(opt_.maintenance_interval, std::chrono::seconds(1));
  std::vector<job> batch;  // kept across a broken connection, applied again after the reconnect
  for (;;) {
    bool closing;
    {
      std::unique_lock lk(mu_);
      auto ready = [&] { return closing_ || !queue_.empty(); };
      if (batch.empty() && conn_ && last_maintenance_ && !prune_backlog_)
        cv_.wait_for(lk, idle_wait, ready);
      if (closing_ && queue_.empty() && batch.empty()) return;
      closing = closing_;
      while (!queue_.empty() && batch.size() < 512) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!conn_ && !reconnect(closing)) {
      if (closing) {  // the database stayed away: what is left fails rather than hang close()
        for (auto& j : batch) complete(j, "state store closed before PostgreSQL came back");
        batch.clear();
        std::deque<job> rest;
        {
          std::lock_guard lk(mu_);
          rest.swap(queue_);
        }
        for (auto& j : rest) complete(j, "state store closed before PostgreSQL came back");
        return;
      }
      continue;
    }
    try {
      if (!closing && maintenance_due()) maintain();
    } catch (const pg_error& e) {
      if (e.broken() || !conn_->ok()) conn_.reset();
      spdlog::warn("state store: maintenance failed: {}", e.what());
      continue;
    }
    if (!batch.empty() && commit(batch)) batch.clear();
  }
}

// One connection attempt (after the backoff delay when the last one failed). Reports the problem
// while it fails and clears it once connected.
bool pg_store::reconnect(bool closing) {
  try {
    conn_ = std::make_unique<pg_conn>(settings_);
    writer_pid_ = conn_->backend_pid();
    retry_.reset();
    set_problem(writer_problem_, "");
    spdlog::info("state store: reconnected to PostgreSQL at {}", conn_->server());
    return true;
  } catch (const pg_error& e) {
    std::size_t waiting;
    {
      std::lock_guard lk(mu_);
      waiting = queue_.size();
    }
    set_problem(writer_problem_, std::string(e.what()) + " (" + std::to_string(waiting) +
                                     " more writes queued; retrying)");
    if (closing) return false;
    const auto delay = retry_.next();
    spdlog::warn("state store: {}; retrying in {} ms", e.what(), delay.count());
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, delay, [&] { return closing_; });
    return false;
  }
}

bool pg_store::maintenance_due() {
  if (prune_backlog_ || !last_maintenance_) return true;
  const int64_t now = opt_.clock();
  return now - *last_maintenance_ >= opt_.maintenance_interval.count() ||
         now < *last_maintenance_;  // the clock was set back
}

// One chunk of each prune (autocommit: short statements between batches); a full chunk leaves
// prune_backlog_ set and the writer comes back for the rest without waiting.
void pg_store::maintain() {
  const int64_t now = opt_.clock();
  if (!prune_backlog_) last_maintenance_ = now;
  const int64_t dedup_cutoff = now - opt_.dedup_ttl.count();
  const int64_t turn_cutoff_ms = (now - opt_.turn_retention.count()) * 1000;
  const auto inbound =
      conn_->exec(prune_inbound_sql, pg_params().int8(dedup_cutoff).int8(prune_chunk)).changed();
  const auto turns =
      conn_->exec(prune_turns_sql, pg_params().int8(turn_cutoff_ms).int8(prune_chunk)).changed();
  prune_backlog_ = inbound >= prune_chunk || turns >= prune_chunk;
}

void pg_store::apply(job& j, int64_t now_s) {
  pg_conn& c = *conn_;
  if (auto* k = std::get_if<kv_write>(&j)) {
    write_kv(c, k->instance, k->key, k->value);
  } else if (auto* t = std::get_if<turn_write>(&j)) {
    c.exec(turn_upsert_sql, turn_params(t->row, now_s * 1000, opt_.replica_id));
  } else if (auto* cw = std::get_if<custom_write>(&j)) {
    cw->apply(c);
  } else {
    auto& in = std::get<inbound_write>(j);
    pg_params p;
    p.text(in.instance)
        .text(in.event_id)
        .int8(now_s)
        .bytea(in.payload)
        .text(in.claim)
        .int8(now_s - opt_.dedup_ttl.count());
    in.accepted = c.exec(inbound_sql, p).boolean(0, 0);
  }
}

// Applies `batch` in one transaction and completes its writes; true when done. False when the
// connection broke (the outcome of a COMMIT in flight is unknown): the batch stays for the retry.
// A statement error instead retries the writes one per transaction, so only the failing ones fail.
bool pg_store::commit(std::vector<job>& batch) {
  const int64_t now_s = opt_.clock();
  auto run = [&](std::size_t from, std::size_t to) {
    conn_->command("BEGIN");
    for (std::size_t i = from; i < to; ++i) apply(batch[i], now_s);
    conn_->command("COMMIT");
  };
  auto broke = [&](const pg_error& e) {
    if (!e.broken() && conn_->ok()) return false;
    conn_.reset();
    set_problem(writer_problem_, e.what());
    spdlog::warn("state store: {}; the writes are applied again after the reconnect", e.what());
    return true;
  };
  try {
    run(0, batch.size());
    for (auto& j : batch) complete(j, {});
    return true;
  } catch (const pg_error& e) {
    if (broke(e)) return false;
    conn_->rollback();
    if (batch.size() == 1) {
      complete(batch[0], std::string("state store write failed: ") + e.what());
      return true;
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    try {
      run(i, i + 1);
      complete(batch[i], {});
    } catch (const pg_error& e) {
      if (broke(e)) {
        batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(i));
        return false;
      }
      conn_->rollback();
      complete(batch[i], std::string("state store write failed: ") + e.what());
    }
  }
  return true;
}

}  // namespace

std::unique_ptr<store> open_postgres_store(const postgres_options& pg, store_options options) {
  return std::make_unique<pg_store>(pg, std::move(options));
}

}  // namespace patchbay::state
