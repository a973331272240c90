// The state store contract on both engines (store_engines.hpp): durability across reopen, dedup
// (and its TTL on a fake clock), bounded queue, closed store. Turn records: store_turns_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "state/store.hpp"
#include "store_engines.hpp"

namespace {
using namespace patchbay::state;
using testing_engines::EngineTest;

struct StoreTest : EngineTest {
  std::unique_ptr<store> open(store_options o = {}) { return env().open(std::move(o)); }
  int64_t count_inbound_rows() { return env().count_rows("inbound_events"); }
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

TEST_P(StoreTest, KvIsDurableAndVisibleAtOnce) {
  {
    auto s = open();
    EXPECT_EQ(set_sync(*s, "cursor", std::string("a\0b", 3)), "");
    s->kv_set("i", "other", "x", nullptr);
    EXPECT_EQ(s->kv_get("i", "other").value_or(""), "x");  // before it is durable
    s->kv_delete("i", "other", nullptr);
    EXPECT_FALSE(s->kv_get("i", "other"));
    EXPECT_FALSE(s->kv_get("j", "cursor"));  // scoped per instance
  }
  auto s = open();
  EXPECT_EQ(s->kv_get("i", "cursor").value_or(""), std::string("a\0b", 3));
  EXPECT_FALSE(s->kv_get("i", "other"));
}

TEST_P(StoreTest, InboundDedupSurvivesRestart) {
  {
    auto s = open();
    EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::accepted);
    EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::duplicate);
  }
  auto s = open();
  EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::duplicate);
  EXPECT_EQ(record_sync(*s, "e2"), inbound_outcome::accepted);
}

TEST_P(StoreTest, DedupTtlOnAFakeClock) {
  constexpr int64_t t0 = 1'700'000'000;
  auto now = std::make_shared<std::atomic<int64_t>>(t0);
  store_options opt;
  opt.dedup_ttl = std::chrono::hours(1);
  opt.maintenance_interval = std::chrono::hours(24);  // expiry must not wait for maintenance
  opt.clock = [now] { return now->load(); };
  {
    auto s = open(opt);
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
    auto s = open(opt);
    EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::duplicate);
    EXPECT_EQ(record_sync(*s, "e2"), inbound_outcome::accepted);  // expired before the reopen
    EXPECT_EQ(record_sync(*s, "e3"), inbound_outcome::accepted);
  }
  EXPECT_EQ(count_inbound_rows(), 3);  // the pass at open deleted ("other", "e1") of t0
  // A day later the pass at open deletes every expired key; the write after it waits for it.
  now->store(t0 + 2 * 24 * 3600);
  auto s = open(opt);
  EXPECT_EQ(record_sync(*s, "e4"), inbound_outcome::accepted);
  EXPECT_EQ(count_inbound_rows(), 1);
  EXPECT_EQ(record_sync(*s, "e1"), inbound_outcome::accepted);
}

TEST_P(StoreTest, ExpiredKeysArePrunedAtMostOncePerInterval) {
  constexpr int64_t t0 = 1'700'000'000;
  auto now = std::make_shared<std::atomic<int64_t>>(t0);
  store_options opt;
  opt.dedup_ttl = std::chrono::seconds(60);
  opt.maintenance_interval = std::chrono::minutes(10);
  opt.clock = [now] { return now->load(); };
  auto s = open(opt);  // first pass at t0
  EXPECT_EQ(record_sync(*s, "a"), inbound_outcome::accepted);
  now->store(t0 + 5 * 60);  // "a" expired, but the last pass was 5 min ago
  EXPECT_EQ(record_sync(*s, "b"), inbound_outcome::accepted);
  EXPECT_EQ(count_inbound_rows(), 2);
  now->store(t0 + 10 * 60);  // due: runs when the writer wakes for this write, before it
  EXPECT_EQ(record_sync(*s, "c"), inbound_outcome::accepted);
  EXPECT_EQ(count_inbound_rows(), 1);
}

TEST_P(StoreTest, LargeExpiryBacklogIsPrunedInChunksWithoutWaiting) {
  constexpr int64_t t0 = 1'700'000'000;
  auto now = std::make_shared<std::atomic<int64_t>>(t0);
  store_options opt;
  opt.dedup_ttl = std::chrono::seconds(60);
  opt.maintenance_interval = std::chrono::hours(1);  // the idle wait cannot be what finishes it
  opt.clock = [now] { return now->load(); };
  auto s = open(opt);
  for (int i = 0; i < 4999; ++i) s->record_inbound("i", "e" + std::to_string(i), "{}", nullptr);
  EXPECT_EQ(record_sync(*s, "e4999"), inbound_outcome::accepted);
  now->store(t0 + 2 * 3600);
  EXPECT_EQ(record_sync(*s, "fresh"), inbound_outcome::accepted);  // the first chunk ran before it
  EXPECT_LE(count_inbound_rows(), 5001 - 2000);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (count_inbound_rows() != 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(count_inbound_rows(), 1);
}

TEST_P(StoreTest, FullQueueFailsFastAndClosedStoreRefuses) {
  store_options opt;
  opt.max_queued_writes = 1;
  auto s = open(opt);
  std::atomic<int> failed{0}, ok{0};
  for (int i = 0; i < 2000; ++i)
    s->kv_set("i", "k" + std::to_string(i), "v",
              [&](const std::string& e) { (e.empty() ? ok : failed)++; });
  s->close();
  EXPECT_EQ(ok + failed, 2000);
  EXPECT_GT(failed.load(), 0);  // a queue of one cannot absorb a burst of 2000
  EXPECT_EQ(set_sync(*s, "late", "v"), "state store closed");
}

PB_STORE_ENGINES(StoreTest);

TEST(StoreOpen, UnwritablePathNamesIt) {
  try {
    open_sqlite_store("/nonexistent-dir/sub/state.db");
    FAIL() << "opened";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/sub/state.db"), std::string::npos);
  }
}

}  // namespace
