// SQLite engine of the state store: a write-ahead-logged file, one writer thread that commits
// queued writes in batches (one fsync per batch, not per write), an in-memory mirror of the
// key-value table for non-blocking reads, and a periodic maintenance pass on the writer thread that
// deletes expired dedup keys and old terminal turns.
//
// The connection is opened without SQLite's own mutex: the writer thread uses it, and the one
// reader from other threads (unfinished_turns, start-up only) takes db_mu_, which the writer holds
// for each transaction.
#include <sqlite3.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <variant>
#include <vector>

#include "state/sqlite_detail.hpp"
#include "state/store.hpp"

namespace patchbay::state {

int64_t system_clock_unix_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
using namespace sqlite_detail;

struct kv_write {
  std::string instance, key;
  std::optional<std::string> value;  // nullopt = delete
  write_done done;
};
struct inbound_write {
  std::string instance, event_id, payload;
  inbound_done done;
};
struct turn_write {
  turn_row row;
  write_done done;
};
struct custom_write {  // the outbound queue's
  custom_apply apply;
  write_done done;
};
using job = std::variant<kv_write, inbound_write, turn_write, custom_write>;

class sqlite_store final : public store {
 public:
  sqlite_store(const std::string& path, store_options opt) : opt_(std::move(opt)) {
    if (!opt_.clock) opt_.clock = system_clock_unix_s;
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("cannot open state database '" + path + "': " + msg);
    }
    try {
      exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=FULL");
      exec("PRAGMA busy_timeout=5000");
      for (const char* sql : schema) exec(sql);
      add_pending_plan_column();
      exec(pending_plan_index_sql);
      load_kv();
      st_ = std::make_unique<statements>(db_);
      outbound_ = open_sqlite_outbound(
          db_,
          [this](custom_apply a, write_done d) {
            enqueue(custom_write{std::move(a), std::move(d)});
          },
          opt_.clock);
      leases_ = open_sqlite_leases(
          [this](custom_apply a, write_done d) {
            enqueue(custom_write{std::move(a), std::move(d)});
          },
          opt_.clock);
    } catch (const std::exception& e) {
      sqlite3_close(db_);
      throw std::runtime_error("cannot initialise state database '" + path + "': " + e.what());
    }
    writer_ = std::thread([this] { run_writer(); });
  }

  ~sqlite_store() override {
    close();
    outbound_.reset();
    leases_.reset();
    st_.reset();  // statements are finalized before the connection closes
    sqlite3_close(db_);
  }

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
    }
    enqueue(kv_write{instance, key, std::move(value), std::move(done)});
  }

  void kv_delete(const std::string& instance, const std::string& key, write_done done) override {
    {
      std::lock_guard lk(cache_mu_);
      cache_.erase({instance, key});
    }
    enqueue(kv_write{instance, key, std::nullopt, std::move(done)});
  }

  void kv_write_fenced(const std::string& instance, const std::string& key,
                       std::optional<std::string> value, fence f, write_done done) override {
    {  // like kv_set: the mirror shows the write at once (a lost lease stops the channel, and
       // a replica taking the lease again reloads the instance: kv_reload)
      std::lock_guard lk(cache_mu_);
      if (value)
        cache_[{instance, key}] = *value;
      else
        cache_.erase({instance, key});
    }
    auto lost = std::make_shared<bool>(false);
    std::string lease = f.lease;
    auto apply = [this, instance, key, value = std::move(value), f = std::move(f),
                  lost](sqlite3* db) {
      bool holds = false;
      if (int rc = fence_holds(db, f, holds); rc != SQLITE_DONE) return rc;
      if (!holds) {
        *lost = true;
        return SQLITE_DONE;
      }
      stmt& s = value ? st_->put : st_->del;
      s.bind(1, instance);
      s.bind(2, key);
      if (value)
        sqlite3_bind_blob(s.get(), 3, value->data(), static_cast<int>(value->size()),
                          SQLITE_TRANSIENT);
      return s.step();
    };
    auto finish = [lease = std::move(lease), lost, done = std::move(done)](const std::string& err) {
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
      std::lock_guard db_lk(db_mu_);
      stmt s(db_, "SELECT key, value FROM kv WHERE instance = ?1");
      s.bind(1, instance);
      int rc;
      while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) fresh[s.text(0)] = s.text(1);
      if (rc != SQLITE_DONE)
        throw std::runtime_error("cannot read the key-values of " + instance + ": " +
                                 sqlite3_errmsg(db_));
    }
    std::lock_guard lk(cache_mu_);
    auto it = cache_.lower_bound({instance, std::string()});
    while (it != cache_.end() && it->first.first == instance) it = cache_.erase(it);
    for (auto& [k, v] : fresh) cache_[{instance, k}] = std::move(v);
  }

  void record_inbound(const std::string& instance, const std::string& event_id,
                      std::string payload_json, inbound_done done) override {
    enqueue(inbound_write{instance, event_id, std::move(payload_json), std::move(done)});
  }

  // A fingerprint is kept as an event id of its own kind, "\x1f" "fp:" + hex: a control character
  // no platform's event id starts with, so the two namespaces do not meet.
  void record_fingerprint(const std::string& instance, const std::string& fingerprint,
                          inbound_done done) override {
    enqueue(inbound_write{instance,
                          "\x1f"
                          "fp:" +
                              fingerprint,
                          "{}", std::move(done)});
  }

  void save_turn(const turn_row& row, write_done done) override {
    enqueue(turn_write{row, std::move(done)});
  }

  std::vector<turn_row> unfinished_turns() override {
    std::lock_guard db_lk(db_mu_);
    std::vector<turn_row> rows;
    stmt s(db_, unfinished_sql);
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      turn_row r;
      r.turn_id = s.text(0);
      r.instance = s.text(1);
      r.conversation_id = s.text(2);
      r.thread_id = s.text(3);
      r.reply_to_message_id = s.text(4);
      r.placeholder_id = s.text(5);
      r.flushed_text = s.text(6);
      r.reply_token_spent = s.integer(7) != 0;
      r.terminal = s.integer(8) != 0;
      r.outcome = s.text(9);
      r.updated_at_unix_ms = s.integer(10);
      r.inbound_payload = s.text(11);
      r.pending_plan = s.text(12);
      rows.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE)
      throw std::runtime_error(std::string("cannot read unfinished turns: ") + sqlite3_errmsg(db_));
    return rows;
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
  }

 private:
  struct statements {
    explicit statements(sqlite3* db)
        : put(db,
              "INSERT INTO kv(instance, key, value) VALUES(?1, ?2, ?3) "
              "ON CONFLICT(instance, key) DO UPDATE SET value = excluded.value"),
          del(db, "DELETE FROM kv WHERE instance = ?1 AND key = ?2"),
          inbound(db, inbound_sql),
          turn(db, turn_upsert_sql),
          prune_inbound(db, prune_inbound_sql),
          prune_turns(db, prune_turns_sql) {}
    stmt put, del, inbound, turn, prune_inbound, prune_turns;
  };

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw std::runtime_error(msg);
    }
  }

  // Migration: databases written before turns kept their plan left have no pending_plan column.
  void add_pending_plan_column() {
    bool found = false;
    {
      stmt info(db_, "PRAGMA table_info(turns)");
      while (sqlite3_step(info.get()) == SQLITE_ROW)
        found = found || info.text(1) == "pending_plan";
    }
    if (!found) exec("ALTER TABLE turns ADD COLUMN pending_plan TEXT NOT NULL DEFAULT ''");
  }

  void load_kv() {
    stmt s(db_, "SELECT instance, key, value FROM kv");
    while (sqlite3_step(s.get()) == SQLITE_ROW) cache_[{s.text(0), s.text(1)}] = s.text(2);
  }

  static void fail(job& j, const std::string& why) {
    if (auto* k = std::get_if<kv_write>(&j)) {
      if (k->done) k->done(why);
    } else if (auto* t = std::get_if<turn_write>(&j)) {
      if (t->done) t->done(why);
    } else if (auto* c = std::get_if<custom_write>(&j)) {
      if (c->done) c->done(why);
    } else {
      auto& in = std::get<inbound_write>(j);
      if (in.done) in.done(inbound_outcome::failed, why);
    }
  }

  void enqueue(job j) {
    std::unique_lock lk(mu_);
    if (closing_) {
      lk.unlock();
      fail(j, "state store closed");
      return;
    }
    if (queue_.size() >= opt_.max_queued_writes) {
      lk.unlock();
      fail(j, "state store overloaded (write queue full)");
      return;
    }
    queue_.push_back(std::move(j));
    lk.unlock();
    cv_.notify_one();
  }

  // Waits for work, or at most the maintenance interval (real time) when idle, or not at all before
  // the first maintenance pass and while a pass has chunks left. Maintenance, when due by `clock`,
  // runs before the batch the writer woke for.
  void run_writer() {
    auto idle_wait =
        std::max<std::chrono::seconds>(opt_.maintenance_interval, std::chrono::seconds(1));
    for (;;) {
      std::vector<job> batch;
      bool closing;
      {
        std::unique_lock lk(mu_);
        auto ready = [&] { return closing_ || !queue_.empty(); };
        if (last_maintenance_ && !prune_backlog_) cv_.wait_for(lk, idle_wait, ready);
        if (closing_ && queue_.empty()) return;  // closing and drained
        closing = closing_;
        while (!queue_.empty() && batch.size() < 512) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      if (!closing && maintenance_due()) maintain(*st_);
      if (!batch.empty()) commit(batch, *st_);
    }
  }

  bool maintenance_due() {
    if (prune_backlog_ || !last_maintenance_) return true;
    int64_t now = opt_.clock();
    return now - *last_maintenance_ >= opt_.maintenance_interval.count() ||
           now < *last_maintenance_;  // the clock was set back
  }

  // One chunk of each prune. A full chunk leaves prune_backlog_ set: the writer comes back for
  // the rest without waiting, between batches.
  void maintain(statements& st) {
    int64_t now = opt_.clock();
    if (!prune_backlog_) last_maintenance_ = now;
    int64_t dedup_cutoff = now - opt_.dedup_ttl.count();
    int64_t turn_cutoff_ms = (now - opt_.turn_retention.count()) * 1000;
    std::lock_guard db_lk(db_mu_);
    auto prune = [&](stmt& s, int64_t cutoff, const char* what) {
      s.bind(1, cutoff);
      s.bind(2, int64_t{prune_chunk});
      if (s.step() != SQLITE_DONE) {
        spdlog::warn("state store: pruning {} failed: {}", what, sqlite3_errmsg(db_));
        return false;
      }
      return sqlite3_changes(db_) >= prune_chunk;
    };
    bool more_inbound = prune(st.prune_inbound, dedup_cutoff, "expired inbound event ids");
    bool more_turns = prune(st.prune_turns, turn_cutoff_ms, "finished turns");
    prune_backlog_ = more_inbound || more_turns;
  }

  // Binds and runs one job inside the open transaction. Returns the SQLite result code; sets
  // `changed` to the rows the statement changed.
  int apply(job& j, statements& st, int64_t now_s, int& changed) {
    int rc;
    if (auto* k = std::get_if<kv_write>(&j)) {
      stmt& s = k->value ? st.put : st.del;
      s.bind(1, k->instance);
      s.bind(2, k->key);
      if (k->value)
        sqlite3_bind_blob(s.get(), 3, k->value->data(), static_cast<int>(k->value->size()),
                          SQLITE_TRANSIENT);
      rc = s.step();
    } else if (auto* t = std::get_if<turn_write>(&j)) {
      const turn_row& r = t->row;
      bind_turn(st.turn, r, now_s * 1000);
      rc = st.turn.step();
    } else if (auto* c = std::get_if<custom_write>(&j)) {
      rc = c->apply(db_);
    } else {
      auto& in = std::get<inbound_write>(j);
      stmt& s = st.inbound;
      s.bind(1, in.instance);
      s.bind(2, in.event_id);
      s.bind(3, now_s);
      s.bind(4, in.payload);
      s.bind(5, now_s - opt_.dedup_ttl.count());
      rc = s.step();
    }
    changed = sqlite3_changes(db_);
    return rc;
  }

  // One transaction for the whole batch; per-job outcome recorded, callbacks fired after COMMIT
  // (and outside db_mu_).
  void commit(std::vector<job>& batch, statements& st) {
    std::vector<int> changed(batch.size(), 0);
    std::string error;
    int64_t now_s = opt_.clock();
    {
      std::lock_guard db_lk(db_mu_);
      if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
        error = sqlite3_errmsg(db_);
      for (size_t i = 0; error.empty() && i < batch.size(); ++i)
        if (apply(batch[i], st, now_s, changed[i]) != SQLITE_DONE) error = sqlite3_errmsg(db_);
      if (error.empty() && sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
        error = sqlite3_errmsg(db_);
      if (!error.empty()) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        error = "state store write failed: " + error;
      }
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!error.empty()) {
        fail(batch[i], error);
      } else if (auto* in = std::get_if<inbound_write>(&batch[i])) {
        if (in->done)
          in->done(changed[i] ? inbound_outcome::accepted : inbound_outcome::duplicate, {});
      } else if (auto* k = std::get_if<kv_write>(&batch[i])) {
        if (k->done) k->done({});
      } else if (auto* c = std::get_if<custom_write>(&batch[i])) {
        if (c->done) c->done({});
      } else {
        auto& t = std::get<turn_write>(batch[i]);
        if (t.done) t.done({});
      }
    }
  }

  store_options opt_;
  sqlite3* db_ = nullptr;
  std::mutex db_mu_;  // the connection: writer transactions vs. unfinished_turns
  std::mutex cache_mu_;
  std::map<std::pair<std::string, std::string>, std::string> cache_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> queue_;
  bool closing_ = false;
  // Writer thread only.
  std::optional<int64_t> last_maintenance_;
  bool prune_backlog_ = false;
  std::unique_ptr<statements> st_;  // used by the writer thread only
  std::unique_ptr<outbound_queue> outbound_;
  std::unique_ptr<lease_table> leases_;
  std::thread writer_;
};

}  // namespace

std::unique_ptr<store> open_sqlite_store(const std::string& path, store_options options) {
  return std::make_unique<sqlite_store>(path, std::move(options));
}

}  // namespace patchbay::state
