// PostgreSQL engine of the leases (lease_table.hpp): the tables `replicas` and `leases`, written by
// the store's writer thread inside its batch transactions (custom writes), like the outbound
// queue. The rules are the SQLite engine's (sqlite_leases.cpp), which the store contract tests
// check on both. Differences that matter with several replicas:
// - Time is the database server's clock (clock_timestamp()), one clock for every replica, unless
//   the store was opened with a clock of its own (tests).
// - The lease rows a renewal decides are locked (FOR UPDATE, in name order, so two renewals never
//   deadlock), so two replicas never both take one lease.
// - Every write is idempotent (the writer runs a batch again after a connection broke
//   mid-commit): a retried take finds the lease already this incarnation's, with the same token.
#include <algorithm>
#include <memory>
#include <optional>
#include <set>

#include "state/pg_detail.hpp"

namespace patchbay::state::pg_detail {
namespace {

constexpr const char* server_now_sql =
    "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::int8";
constexpr const char* self_sql =
    "SELECT incarnation, heartbeat_unix_ms FROM replicas WHERE id = $1";
constexpr const char* heartbeat_sql =
    "INSERT INTO replicas (id, incarnation, heartbeat_unix_ms) VALUES ($1, $2, $3) "
    "ON CONFLICT (id) DO UPDATE SET incarnation = excluded.incarnation, "
    "heartbeat_unix_ms = excluded.heartbeat_unix_ms";
// A lease row exists before it is decided (free: owner ''), so it can be locked.
constexpr const char* ensure_sql =
    "INSERT INTO leases (name, owner, incarnation, token) VALUES ($1, '', '', 0) "
    "ON CONFLICT (name) DO NOTHING";
constexpr const char* lookup_sql =
    "SELECT l.owner, l.incarnation, l.token, r.incarnation, r.heartbeat_unix_ms "
    "FROM leases l LEFT JOIN replicas r ON r.id = l.owner WHERE l.name = $1 FOR UPDATE OF l";
constexpr const char* take_sql =
    "UPDATE leases SET owner = $2, incarnation = $3, token = token + 1 WHERE name = $1 "
    "RETURNING token";
constexpr const char* mine_sql = "SELECT name FROM leases WHERE owner = $1 AND incarnation = $2";
// A released lease keeps its row, free, so its token only ever grows.
constexpr const char* drop_sql =
    "UPDATE leases SET owner = '', incarnation = '' "
    "WHERE name = $1 AND owner = $2 AND incarnation = $3";
constexpr const char* drop_all_sql =
    "UPDATE leases SET owner = '', incarnation = '' WHERE owner = $1 AND incarnation = $2";
constexpr const char* forget_sql = "DELETE FROM replicas WHERE id = $1 AND incarnation = $2";
constexpr const char* fence_sql =
    "SELECT 1 FROM leases WHERE name = $1 AND token = $2 AND owner = $3 AND incarnation = $4 "
    "FOR SHARE";

void decide(pg_conn& c, const replica_self& self, int64_t now_ms, int64_t ttl_ms, lease_view& v) {
  c.exec(ensure_sql, pg_params().text(v.name));
  auto h = c.exec(lookup_sql, pg_params().text(v.name));
  const std::string owner = h.bytes(0, 0), inc = h.bytes(0, 1);
  const int64_t token = h.int8(0, 2);
  const bool alive =
      !owner.empty() && !h.null(0, 3) && h.bytes(0, 3) == inc && h.int8(0, 4) + ttl_ms > now_ms;
  if (owner == self.id && inc == self.incarnation) {
    v.held = true;
    v.token = token;
    v.owner = owner;
    return;
  }
  if (owner != self.id && alive) {
    v.held = false;
    v.token = token;
    v.owner = owner;
    v.owner_expires_unix_ms = h.int8(0, 4) + ttl_ms;
    return;
  }
  auto taken = c.exec(take_sql, pg_params().text(v.name).text(self.id).text(self.incarnation));
  v.held = true;
  v.token = taken.int8(0, 0);
  v.owner = self.id;
}

class pg_leases final : public lease_table {
 public:
  pg_leases(pg_submit submit, std::function<int64_t()> fixed_clock_s)
      : submit_(std::move(submit)), fixed_clock_s_(std::move(fixed_clock_s)) {}

  void renew(const replica_self& self, std::chrono::milliseconds ttl,
             std::vector<std::string> wanted, renewal_done done) override {
    auto out = std::make_shared<renewal>();
    for (auto& n : wanted) out->leases.push_back(lease_view{std::move(n)});
    auto apply = [self, ttl_ms = ttl.count(), out, clock = fixed_clock_s_](pg_conn& c) {
      // A retry starts afresh (the first attempt's answers may be half filled in).
      out->other_incarnation.clear();
      const int64_t now_ms = clock ? clock() * 1000 : c.exec(server_now_sql).int8(0, 0);
      auto me = c.exec(self_sql, pg_params().text(self.id));
      if (me.rows() == 1 && me.bytes(0, 0) != self.incarnation && me.int8(0, 1) + ttl_ms > now_ms)
        out->other_incarnation = me.bytes(0, 0);
      c.exec(heartbeat_sql, pg_params().text(self.id).text(self.incarnation).int8(now_ms));
      // Locked in name order (no deadlock between two renewals), reported in the order asked.
      std::vector<lease_view*> order;
      for (auto& v : out->leases) order.push_back(&v);
      std::sort(order.begin(), order.end(),
                [](const lease_view* a, const lease_view* b) { return a->name < b->name; });
      std::set<std::string> names;
      for (auto* v : order) {
        *v = lease_view{v->name};
        names.insert(v->name);
        decide(c, self, now_ms, ttl_ms, *v);
      }
      auto mine = c.exec(mine_sql, pg_params().text(self.id).text(self.incarnation));
      for (int i = 0; i < mine.rows(); ++i) {
        const std::string n = mine.bytes(i, 0);
        if (!names.count(n))
          c.exec(drop_sql, pg_params().text(n).text(self.id).text(self.incarnation));
      }
    };
    submit_(std::move(apply), finish_renewal(out, std::move(done)));
  }

  void release_all(const replica_self& self, std::function<void(std::string)> done) override {
    auto apply = [self](pg_conn& c) {
      c.exec(drop_all_sql, pg_params().text(self.id).text(self.incarnation));
      c.exec(forget_sql, pg_params().text(self.id).text(self.incarnation));
    };
    submit_(std::move(apply), std::move(done));
  }

 private:
  pg_submit submit_;
  std::function<int64_t()> fixed_clock_s_;
};

}  // namespace

std::unique_ptr<lease_table> open_pg_leases(pg_submit submit,
                                            std::function<int64_t()> fixed_clock_s) {
  return std::make_unique<pg_leases>(std::move(submit), std::move(fixed_clock_s));
}

bool fence_holds(pg_conn& c, const fence& f) {
  return c.exec(
              fence_sql,
              pg_params().text(f.lease).int8(f.token).text(f.holder.id).text(f.holder.incarnation))
             .rows() == 1;
}

}  // namespace patchbay::state::pg_detail
