// The SQLite state store: durability across reopen, dedup (and its TTL on a fake clock), bounded
// queue, closed store. Turn records: store_turns_test.cpp.
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "state/store.hpp"

namespace {
using namespace patchbay::state;

struct StoreTest : ::testing::Test {
  std::filesystem::path db =
      std::filesystem::temp_directory_path() / ("pb_store_" + std::to_string(::getpid()) + ".db");
  void SetUp() override { std::filesystem::remove(db); }
  void TearDown() override {
    for (auto s : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + s);
  }
};

std::string set_sync(store& s, const std::string& k, const std::string& v) {
  std::promise<std::string> p;
  s.kv_set("i", k, v, [&](const std::string& e) { p.set_value(e); });
  return p.get_future().get();
}

inbound_outcome record_sync(store& s, const std::string& id, const std::string& instance = "i") {
  std::promise<inbound_outcome> p;
  s.record_inbound(instance, id, "{}",
                   [&](inbound_outcome o, const std::string&) { p.set_value(o); });
  return p.get_future().get();
}

int64_t count_inbound_rows(const std::filesystem::path& db) {
  sqlite3* c = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(c, "SELECT count(*) FROM inbound_events", -1, &s, nullptr),
            SQLITE_OK);
  int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  sqlite3_close(c);
  return n;
}

TEST_F(StoreTest, KvIsDurableAndVisibleAtOnce) {
  {
    auto s = open_sqlite_store(db.string());
    EXPECT_EQ(set_sync(*s, "cursor", std::string("a\0b", 3)), "");
    s->kv_set("i", "other", "x", nullptr);
    EXPECT_EQ(s->kv_get("i", "other").value_or(""), "x");  // before it is durable
    s->kv_delete("i", "other", nullptr);
    EXPECT_FALSE(s->kv_get("i", "other"));
    EXPECT_FALSE(s->kv_get("j", "cursor"));  // scoped per instance
  }
  auto s = open_sqlite_store(db.string());
  EXPECT_EQ(s->kv_get("i", "cursor").value_or(""), std::string("a\0b", 3));
  EXPECT_FALSE(s->kv_get("i", "other"));
}

TEST_F(StoreTest, InboundDedupSurvivesRestart) {
  {
    auto s = open_sqlite_store(db.string());
    EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::accepted);
    EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::duplicate);
  }
  auto s = open_sqlite_store(db.string());
  EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::duplicate);
  EXPECT_EQ(record_sync(*s, "e2"), inbound_outcome::accepted);
}

TEST_F(StoreTest, DedupTtlOnAFakeClock) {
  constexpr int64_t t0 = 1'700'000'000;
  auto now = std::make_shared<std::atomic<int64_t>>(t0);
  store_options opt;
  opt.dedup_ttl = std::chrono::hours(1);
  opt.maintenance_interval = std::chrono::hours(24);  // expiry must not wait for maintenance
  opt.clock = [now] { return now->load(); };
  {
    auto s = open_sqlite_store(db.string(), opt);
    EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::accepted);
    EXPECT_EQ(record_sync(*s, "e2"), inbound_outcome::accepted);
    EXPECT_EQ(record_sync(*s, "e1", "other"), inbound_outcome::accepted);  // per instance
    now->store(t0 + 3600);  // the TTL's last second: still a duplicate
    EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::duplicate);
    now->store(t0 + 3601);  // past it: accepted again, and remembered from now on
    EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::accepted);
    EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::duplicate);
  }
  {
    now->store(t0 + 3601 + 1800);  // e1 (re-recorded at t0+3601) is within the TTL after a reopen
    auto s = open_sqlite_store(db.string(), opt);
    EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::duplicate);
    EXPECT_EQ(record_sync(*s, "e2"), inbound_outcome::accepted);  // expired before the reopen
    EXPECT_EQ(record_sync(*s, "e3"), inbound_outcome::accepted);
  }
  EXPECT_EQ(count_inbound_rows(db), 3);  // the pass at open deleted ("other", "e1") of t0
  // A day later the pass at open deletes every expired key; the write after it waits for it.
  now->store(t0 + 2 * 24 * 3600);
  auto s = open_sqlite_store(db.string(), opt);
  EXPECT_EQ(record_sync(*s, "e4"), inbound_outcome::accepted);
  EXPECT_EQ(count_inbound_rows(db), 1);
  EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::accepted);
}

TEST_F(StoreTest, ExpiredKeysArePrunedAtMostOncePerInterval) {
  constexpr int64_t t0 = 1'700'000'000;
  auto now = std::make_shared<std::atomic<int64_t>>(t0);
  store_options opt;
  opt.dedup_ttl = std::chrono::seconds(60);
  opt.maintenance_interval = std::chrono::minutes(10);
  opt.clock = [now] { return now->load(); };
  auto s = open_sqlite_store(db.string(), opt);  // first pass at t0
  EXPECT_EQ(record_sync(*s, "a"), inbound_outcome::accepted);
  now->store(t0 + 5 * 60);  // "a" expired, but the last pass was 5 min ago
  EXPECT_EQ(record_sync(*s, "b"), inbound_outcome::accepted);
  EXPECT_EQ(count_inbound_rows(db), 2);
  now->store(t0 + 10 * 60);  // due: runs when the writer wakes for this write, before it
  EXPECT_EQ(record_sync(*s, "c"), inbound_outcome::accepted);
  EXPECT_EQ(count_inbound_rows(db), 1);
}

TEST_F(StoreTest, LargeExpiryBacklogIsPrunedInChunksWithoutWaiting) {
  constexpr int64_t t0 = 1'700'000'000;
  auto now = std::make_shared<std::atomic<int64_t>>(t0);
  store_options opt;
  opt.dedup_ttl = std::chrono::seconds(60);
  opt.maintenance_interval = std::chrono::hours(1);  // the idle wait cannot be what finishes it
  opt.clock = [now] { return now->load(); };
  auto s = open_sqlite_store(db.string(), opt);
  for (int i = 0; i < 4999; ++i) s->record_inbound("i", "e" + std::to_string(i), "{}", nullptr);
  EXPECT_EQ(record_sync(*s, "e4999"), inbound_outcome::accepted);
  now->store(t0 + 2 * 3600);
  EXPECT_EQ(record_sync(*s, "fresh"), inbound_outcome::accepted);  // the first chunk ran before it
  EXPECT_LE(count_inbound_rows(db), 5001 - 2000);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (count_inbound_rows(db) != 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(count_inbound_rows(db), 1);
}

TEST_F(StoreTest, FullQueueFailsFastAndClosedStoreRefuses) {
  store_options opt;
  opt.max_queued_writes = 1;
  auto s = open_sqlite_store(db.string(), opt);
  std::atomic<int> failed{0}, ok{0};
  for (int i = 0; i < 2000; ++i)
    s->kv_set("i", "k" + std::to_string(i), "v",
              [&](const std::string& e) { (e.empty() ? ok : failed)++; });
  s->close();
  EXPECT_EQ(ok + failed, 2000);
  EXPECT_GT(failed.load(), 0);  // a queue of one cannot absorb a burst of 2000
  EXPECT_EQ(set_sync(*s, "late", "v"), "state store closed");
}

TEST(StoreOpen, UnwritablePathNamesIt) {
  try {
    open_sqlite_store("/nonexistent-dir/sub/state.db");
    FAIL() << "opened";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/sub/state.db"), std::string::npos);
  }
}

}  // namespace
