// SQLite engine of the leases (lease_table.hpp): the tables `replicas` and `leases`, written by
// the store's writer thread inside its batch transactions (custom jobs), like the outbound queue.
// One SQLite file serves one host at a time in practice, but the rules are the engine-neutral ones
// the store contract tests check on every engine.
#include <sqlite3.h>

#include <memory>
#include <optional>
#include <set>

#include "state/sqlite_detail.hpp"

namespace patchbay::state::sqlite_detail {
namespace {

constexpr const char* heartbeat_sql =
    "INSERT INTO replicas(id, incarnation, heartbeat_unix_ms) VALUES(?1, ?2, ?3) "
    "ON CONFLICT(id) DO UPDATE SET incarnation = excluded.incarnation, "
    "heartbeat_unix_ms = excluded.heartbeat_unix_ms";
constexpr const char* self_sql =
    "SELECT incarnation, heartbeat_unix_ms FROM replicas WHERE id = ?1";
constexpr const char* lookup_sql =
    "SELECT l.owner, l.incarnation, l.token, r.incarnation, r.heartbeat_unix_ms "
    "FROM leases l LEFT JOIN replicas r ON r.id = l.owner WHERE l.name = ?1";
constexpr const char* take_sql =
    "INSERT INTO leases(name, owner, incarnation, token) VALUES(?1, ?2, ?3, 1) "
    "ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, incarnation = excluded.incarnation, "
    "token = leases.token + 1";
constexpr const char* mine_sql = "SELECT name FROM leases WHERE owner = ?1 AND incarnation = ?2";
// A released lease keeps its row, free (owner ''), so its token only ever grows.
constexpr const char* drop_sql =
    "UPDATE leases SET owner = '', incarnation = '' "
    "WHERE name = ?1 AND owner = ?2 AND incarnation = ?3";
constexpr const char* drop_all_sql =
    "UPDATE leases SET owner = '', incarnation = '' WHERE owner = ?1 AND incarnation = ?2";
constexpr const char* forget_sql = "DELETE FROM replicas WHERE id = ?1 AND incarnation = ?2";
constexpr const char* fence_sql =
    "SELECT 1 FROM leases WHERE name = ?1 AND token = ?2 AND owner = ?3 AND incarnation = ?4";

// Decides one wanted lease inside the renewal's transaction. Returns false on a database error.
bool decide(sqlite3* db, const replica_self& self, int64_t now_ms, int64_t ttl_ms, lease_view& v) {
  struct holder {
    std::string owner, incarnation;
    int64_t token = 0, heartbeat_ms = 0;
    bool alive = false;  // its replica row is this incarnation's, with a fresh heartbeat
  };
  std::optional<holder> h;
  {
    stmt q(db, lookup_sql);
    q.bind(1, v.name);
    const int rc = sqlite3_step(q.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return false;
    if (rc == SQLITE_ROW) {
      h = holder{q.text(0), q.text(1), q.integer(2), q.integer(4)};
      h->alive = sqlite3_column_type(q.get(), 3) != SQLITE_NULL && q.text(3) == h->incarnation &&
                 h->heartbeat_ms + ttl_ms > now_ms;
    }
  }
  if (h && h->owner == self.id && h->incarnation == self.incarnation) {
    v.held = true;
    v.token = h->token;
    v.owner = h->owner;
    return true;
  }
  if (h && h->owner != self.id && h->alive) {
    v.held = false;
    v.token = h->token;
    v.owner = h->owner;
    v.owner_expires_unix_ms = h->heartbeat_ms + ttl_ms;
    return true;
  }
  stmt take(db, take_sql);
  take.bind(1, v.name);
  take.bind(2, self.id);
  take.bind(3, self.incarnation);
  if (take.step() != SQLITE_DONE) return false;
  stmt again(db, lookup_sql);
  again.bind(1, v.name);
  if (sqlite3_step(again.get()) != SQLITE_ROW) return false;
  v.held = true;
  v.token = again.integer(2);
  v.owner = self.id;
  return true;
}

class sqlite_leases final : public lease_table {
 public:
  sqlite_leases(custom_submit submit, std::function<int64_t()> clock_s)
      : submit_(std::move(submit)), clock_s_(std::move(clock_s)) {}

  void renew(const replica_self& self, std::chrono::milliseconds ttl,
             std::vector<std::string> wanted, renewal_done done) override {
    auto out = std::make_shared<renewal>();
    for (auto& n : wanted) out->leases.push_back(lease_view{std::move(n)});
    auto apply = [self, ttl_ms = ttl.count(), out, clock = clock_s_](sqlite3* db) {
      const int64_t now_ms = clock() * 1000;
      {
        stmt me(db, self_sql);
        me.bind(1, self.id);
        const int rc = sqlite3_step(me.get());
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SQLITE_ERROR;
        if (rc == SQLITE_ROW && me.text(0) != self.incarnation && me.integer(1) + ttl_ms > now_ms)
          out->other_incarnation = me.text(0);
      }
      stmt hb(db, heartbeat_sql);
      hb.bind(1, self.id);
      hb.bind(2, self.incarnation);
      hb.bind(3, now_ms);
      if (hb.step() != SQLITE_DONE) return SQLITE_ERROR;
      std::set<std::string> names;
      for (auto& v : out->leases) {
        names.insert(v.name);
        if (!decide(db, self, now_ms, ttl_ms, v)) return SQLITE_ERROR;
      }
      std::vector<std::string> unwanted;
      {
        stmt mine(db, mine_sql);
        mine.bind(1, self.id);
        mine.bind(2, self.incarnation);
        int rc;
        while ((rc = sqlite3_step(mine.get())) == SQLITE_ROW)
          if (!names.count(mine.text(0))) unwanted.push_back(mine.text(0));
        if (rc != SQLITE_DONE) return SQLITE_ERROR;
      }
      for (const auto& n : unwanted) {
        stmt drop(db, drop_sql);
        drop.bind(1, n);
        drop.bind(2, self.id);
        drop.bind(3, self.incarnation);
        if (drop.step() != SQLITE_DONE) return SQLITE_ERROR;
      }
      return SQLITE_DONE;
    };
    submit_(std::move(apply), finish_renewal(out, std::move(done)));
  }

  void release_all(const replica_self& self, std::function<void(std::string)> done) override {
    auto apply = [self](sqlite3* db) {
      for (const char* sql : {drop_all_sql, forget_sql}) {
        stmt s(db, sql);
        s.bind(1, self.id);
        s.bind(2, self.incarnation);
        if (s.step() != SQLITE_DONE) return SQLITE_ERROR;
      }
      return SQLITE_DONE;
    };
    submit_(std::move(apply), std::move(done));
  }

 private:
  custom_submit submit_;
  std::function<int64_t()> clock_s_;
};

}  // namespace

std::unique_ptr<lease_table> open_sqlite_leases(custom_submit submit,
                                                std::function<int64_t()> clock_s) {
  return std::make_unique<sqlite_leases>(std::move(submit), std::move(clock_s));
}

int fence_holds(sqlite3* db, const fence& f, bool& holds) {
  stmt s(db, fence_sql);
  s.bind(1, f.lease);
  s.bind(2, f.token);
  s.bind(3, f.holder.id);
  s.bind(4, f.holder.incarnation);
  int rc = sqlite3_step(s.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return rc;
  holds = rc == SQLITE_ROW;
  return SQLITE_DONE;
}

}  // namespace patchbay::state::sqlite_detail
