// The PostgreSQL engine beyond the shared contract: replicas starting together migrate once, a
// killed connection is reported and recovered from with the queued writes landing exactly once, a
// statement blocked by a lock ends at the statement timeout, a key-value written through one store
// is seen by another, an unreachable server fails the open with a line that holds no secret. Each
// test on a database of its own (pg_test_db.hpp); skipped without PATCHBAY_TEST_PG_URL.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <thread>

#include "pg_test_db.hpp"
#include "state/pg_migrations.hpp"
#include "state/pg_store.hpp"

namespace {
using namespace patchbay::state;
using patchbay::test::pg_test_db;
using namespace std::chrono_literals;

struct PgStore : ::testing::Test {
  std::unique_ptr<pg_test_db> db;
  void SetUp() override {
    if (!pg_test_db::available()) GTEST_SKIP() << pg_test_db::skip_reason();
    db = std::make_unique<pg_test_db>();
  }
  postgres_options options() {
    postgres_options o;
    o.url = db->url();
    o.reconnect_initial = 50ms;
    o.reconnect_cap = 500ms;
    return o;
  }
  // Polls `pred` until true or a generous deadline.
  template <class F>
  static bool eventually(F pred, std::chrono::seconds limit = 20s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }
  void admin(const std::string& sql) { pg_test_db::query_on(pg_test_db::admin_url(), sql); }
};

std::string kv_set_sync(store& s, const std::string& k, const std::string& v) {
  std::promise<std::string> p;
  s.kv_set("i", k, v, [&](const std::string& e) { p.set_value(e); });
  return p.get_future().get();
}

TEST_F(PgStore, TwoStoresOpeningOneDatabaseTogetherMigrateOnce) {
  std::promise<void> go;
  auto start = go.get_future().share();
  auto opener = [&] {
    start.wait();
    return open_postgres_store(options());
  };
  auto a = std::async(std::launch::async, opener);
  auto b = std::async(std::launch::async, opener);
  go.set_value();
  auto sa = a.get();  // neither throws (a second CREATE TABLE would)
  auto sb = b.get();
  auto rows = db->query("SELECT version FROM patchbay_schema ORDER BY version");
  ASSERT_EQ(rows.size(), static_cast<size_t>(pg_detail::latest_schema_version()));
  EXPECT_EQ(rows.back()[0], std::to_string(pg_detail::latest_schema_version()));
  EXPECT_EQ(kv_set_sync(*sa, "k", "v"), "");
}

TEST_F(PgStore, AKilledConnectionIsReportedThenTheQueuedWritesLandOnce) {
  auto s = open_postgres_store(options());
  EXPECT_EQ(kv_set_sync(*s, "before", "1"), "");
  EXPECT_EQ(s->problem(), "");
  // The database refuses new connections (superusers too) and our sessions are ended.
  admin("ALTER DATABASE " + db->name() + " ALLOW_CONNECTIONS false");
  admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db->name() +
        "' AND application_name = 'patchbay'");
  constexpr int n = 50;
  std::atomic<int> accepted{0}, other{0};
  for (int i = 0; i < n; ++i)
    s->record_inbound("i", "e" + std::to_string(i), "{}",
                      [&](inbound_outcome o, const std::string&) {
                        (o == inbound_outcome::accepted ? accepted : other)++;
                      });
  std::promise<std::string> last;
  s->kv_set("i", "after", "2", [&](const std::string& e) { last.set_value(e); });
  ASSERT_TRUE(eventually([&] { return !s->problem().empty(); })) << "no problem reported";
  const std::string problem = s->problem();
  EXPECT_NE(problem.find(db->name()), std::string::npos) << problem;
  EXPECT_EQ(problem.find("postgresql://"), std::string::npos) << "the URL leaked: " << problem;
  EXPECT_EQ(accepted + other, 0) << "a write completed while the database was away";

  admin("ALTER DATABASE " + db->name() + " ALLOW_CONNECTIONS true");
  EXPECT_EQ(last.get_future().get(), "");
  EXPECT_EQ(accepted.load(), n);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(db->query("SELECT count(*) FROM inbound_events")[0][0], std::to_string(n));
  EXPECT_EQ(db->query("SELECT count(*) FROM kv")[0][0], "2");
  EXPECT_TRUE(eventually([&] { return s->problem().empty(); })) << s->problem();
}

TEST_F(PgStore, AStatementBlockedByALockEndsAtTheStatementTimeout) {
  auto o = options();
  o.statement_timeout = 300ms;
  auto s = open_postgres_store(o);
  std::unique_ptr<PGconn, void (*)(PGconn*)> holder(PQconnectdb(db->url().c_str()), PQfinish);
  ASSERT_EQ(PQstatus(holder.get()), CONNECTION_OK);
  PQclear(PQexec(holder.get(), "BEGIN"));
  PGresult* r = PQexec(holder.get(), "LOCK TABLE kv IN ACCESS EXCLUSIVE MODE");
  ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);
  auto pending = std::async(std::launch::async, [&] { return kv_set_sync(*s, "k", "v"); });
  ASSERT_EQ(pending.wait_for(30s), std::future_status::ready) << "the write hangs";
  const std::string error = pending.get();
  EXPECT_NE(error.find("timeout"), std::string::npos) << error;
  PQclear(PQexec(holder.get(), "ROLLBACK"));
  EXPECT_EQ(kv_set_sync(*s, "k", "v2"), "");  // the store carries on
  EXPECT_EQ(db->query("SELECT convert_from(value, 'UTF8') FROM kv")[0][0], "v2");
}

TEST_F(PgStore, AKeyValueWrittenThroughOneStoreIsSeenByAnother) {
  auto a = open_postgres_store(options());
  auto b = open_postgres_store(options());
  EXPECT_EQ(kv_set_sync(*a, "cursor", std::string("x\0y", 3)), "");
  EXPECT_TRUE(eventually([&] { return b->kv_get("i", "cursor") == std::string("x\0y", 3); }));
  std::promise<std::string> del;
  a->kv_delete("i", "cursor", [&](const std::string& e) { del.set_value(e); });
  EXPECT_EQ(del.get_future().get(), "");
  EXPECT_TRUE(eventually([&] { return !b->kv_get("i", "cursor").has_value(); }));
}

TEST_F(PgStore, TwoReplicasEnqueueingAtOnceNeverShareAnOutboundId) {
  auto a = open_postgres_store(options());
  auto b = open_postgres_store(options());
  std::vector<std::future<std::string>> done;
  std::set<int64_t> ids;
  for (int i = 0; i < 50; ++i) {
    for (store* s : {a.get(), b.get()}) {
      auto p = std::make_shared<std::promise<std::string>>();
      done.push_back(p->get_future());
      outbound_row r;
      r.instance = "wx";
      r.ordering_key = "t" + std::to_string(i);
      r.payload = "{}";
      ids.insert(s->outbound().enqueue(r, [p](const std::string& e) { p->set_value(e); }));
    }
  }
  for (auto& f : done) EXPECT_EQ(f.get(), "");
  EXPECT_EQ(ids.size(), 100u) << "an id given twice";
  EXPECT_EQ(db->query("SELECT count(*) FROM outbound_ops")[0][0], "100")
      << "a replica's row overwrote another's";
}

TEST(PgStoreOpen, AnUnreachableServerFailsWithOneLineWithoutTheSecret) {
  postgres_options o;
  o.url = "postgresql://someone:s3cret-pw@127.0.0.1:9/patchbay_x";  // discard port: refused
  o.connect_timeout = 2s;
  const auto started = std::chrono::steady_clock::now();
  try {
    open_postgres_store(o);
    FAIL() << "opened";
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:9/patchbay_x"), std::string::npos) << what;
    EXPECT_EQ(what.find("s3cret-pw"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s);
}

}  // namespace
