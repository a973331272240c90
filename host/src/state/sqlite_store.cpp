// SQLite engine of the state store: a write-ahead-logged file, one writer thread that commits
// queued writes in batches (one fsync per batch, not per write), and an in-memory mirror of the
// key-value table for non-blocking reads.
#include <sqlite3.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <variant>
#include <vector>

#include "state/store.hpp"

namespace patchbay::state {
namespace {

struct kv_write {
  std::string instance, key;
  std::optional<std::string> value;  // nullopt = delete
  write_done done;
};
struct inbound_write {
  std::string instance, event_id, payload;
  inbound_done done;
};
using job = std::variant<kv_write, inbound_write>;

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
  int step() {
    int rc = sqlite3_step(s_);
    sqlite3_reset(s_);
    return rc;
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class sqlite_store final : public store {
 public:
  sqlite_store(const std::string& path, store_options opt) : opt_(opt) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                                 SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("cannot open state database '" + path + "': " + msg);
    }
    try {
      exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=FULL");
      exec("PRAGMA busy_timeout=5000");
      exec("CREATE TABLE IF NOT EXISTS kv (instance TEXT NOT NULL, key TEXT NOT NULL, "
           "value BLOB NOT NULL, PRIMARY KEY (instance, key))");
      exec("CREATE TABLE IF NOT EXISTS inbound_events (instance TEXT NOT NULL, event_id TEXT NOT "
           "NULL, received_at INTEGER NOT NULL, payload TEXT NOT NULL, "
           "PRIMARY KEY (instance, event_id))");
      exec("CREATE INDEX IF NOT EXISTS inbound_events_age ON inbound_events(received_at)");
      load_kv();
      exec("DELETE FROM inbound_events WHERE received_at < " +
           std::to_string(unix_now_s() - std::chrono::seconds(opt_.dedup_ttl).count()));
    } catch (const std::exception& e) {
      sqlite3_close(db_);
      throw std::runtime_error("cannot initialise state database '" + path + "': " + e.what());
    }
    writer_ = std::thread([this] { run_writer(); });
  }

  ~sqlite_store() override {
    close();
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

  void record_inbound(const std::string& instance, const std::string& event_id,
                      std::string payload_json, inbound_done done) override {
    enqueue(inbound_write{instance, event_id, std::move(payload_json), std::move(done)});
  }

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
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw std::runtime_error(msg);
    }
  }

  void load_kv() {
    stmt s(db_, "SELECT instance, key, value FROM kv");
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      auto col = [&](int i) {
        auto* p = static_cast<const char*>(sqlite3_column_blob(s.get(), i));
        return std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(s.get(), i)));
      };
      cache_[{col(0), col(1)}] = col(2);
    }
  }

  static void fail(job& j, const std::string& why) {
    if (auto* k = std::get_if<kv_write>(&j)) {
      if (k->done) k->done(why);
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

  void run_writer() {
    stmt put(db_, "INSERT INTO kv(instance, key, value) VALUES(?1, ?2, ?3) "
                  "ON CONFLICT(instance, key) DO UPDATE SET value = excluded.value");
    stmt del(db_, "DELETE FROM kv WHERE instance = ?1 AND key = ?2");
    stmt ins(db_, "INSERT OR IGNORE INTO inbound_events(instance, event_id, received_at, payload) "
                  "VALUES(?1, ?2, ?3, ?4)");
    for (;;) {
      std::vector<job> batch;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) return;  // closing and drained
        while (!queue_.empty() && batch.size() < 512) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      commit(batch, put, del, ins);
    }
  }

  // One transaction for the whole batch; per-job outcome recorded, callbacks fired after COMMIT.
  void commit(std::vector<job>& batch, stmt& put, stmt& del, stmt& ins) {
    std::vector<int> inserted(batch.size(), 0);
    std::string error;
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
      error = sqlite3_errmsg(db_);
    for (size_t i = 0; error.empty() && i < batch.size(); ++i) {
      int rc;
      if (auto* k = std::get_if<kv_write>(&batch[i])) {
        stmt& s = k->value ? put : del;
        s.bind(1, k->instance);
        s.bind(2, k->key);
        if (k->value)
          sqlite3_bind_blob(s.get(), 3, k->value->data(), static_cast<int>(k->value->size()),
                            SQLITE_TRANSIENT);
        rc = s.step();
      } else {
        auto& in = std::get<inbound_write>(batch[i]);
        ins.bind(1, in.instance);
        ins.bind(2, in.event_id);
        ins.bind(3, unix_now_s());
        ins.bind(4, in.payload);
        rc = ins.step();
        inserted[i] = sqlite3_changes(db_);
      }
      if (rc != SQLITE_DONE) error = sqlite3_errmsg(db_);
    }
    if (error.empty() && sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
      error = sqlite3_errmsg(db_);
    if (!error.empty()) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      error = "state store write failed: " + error;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!error.empty()) {
        fail(batch[i], error);
      } else if (auto* k = std::get_if<kv_write>(&batch[i])) {
        if (k->done) k->done({});
      } else {
        auto& in = std::get<inbound_write>(batch[i]);
        if (in.done)
          in.done(inserted[i] ? inbound_outcome::accepted : inbound_outcome::duplicate, {});
      }
    }
  }

  store_options opt_;
  sqlite3* db_ = nullptr;
  std::mutex cache_mu_;
  std::map<std::pair<std::string, std::string>, std::string> cache_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> queue_;
  bool closing_ = false;
  std::thread writer_;
};

}  // namespace

std::unique_ptr<store> open_sqlite_store(const std::string& path, store_options options) {
  return std::make_unique<sqlite_store>(path, options);
}

}  // namespace patchbay::state
