// The SQLite state store: durability across reopen, dedup, bounded queue, closed store.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "state/store.hpp"

namespace {
using namespace patchbay::state;

struct StoreTest : ::testing::Test {
  std::filesystem::path db = std::filesystem::temp_directory_path() /
                             ("pb_store_" + std::to_string(::getpid()) + ".db");
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

inbound_outcome record_sync(store& s, const std::string& id) {
  std::promise<inbound_outcome> p;
  s.record_inbound("i", id, "{}", [&](inbound_outcome o, const std::string&) { p.set_value(o); });
  return p.get_future().get();
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

TEST_F(StoreTest, FullQueueFailsFastAndClosedStoreRefuses) {
  store_options opt;
  opt.max_queued_writes = 1;
  auto s = open_sqlite_store(db.string(), opt);
  std::atomic<int> failed{0}, ok{0};
  for (int i = 0; i < 2000; ++i)
    s->kv_set("i", "k" + std::to_string(i), "v", [&](const std::string& e) {
      (e.empty() ? ok : failed)++;
    });
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
