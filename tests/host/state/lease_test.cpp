// The store's leases (state/lease_table.hpp) and fenced writes, as two replicas sharing one
// database see them: two store objects on one database, one fake clock. On both engines
// (store_engines.hpp).
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "state/store.hpp"
#include "store_engines.hpp"

namespace {
using namespace patchbay::state;
using std::chrono::milliseconds;
using testing_engines::EngineTest;

constexpr milliseconds ttl{15'000};

struct LeaseTest : EngineTest {
  std::shared_ptr<std::atomic<int64_t>> now_s = std::make_shared<std::atomic<int64_t>>(1'000'000);
  replica_self a{"a", "a-1"}, b{"b", "b-1"};

  std::unique_ptr<store> open() {
    store_options o;
    o.clock = [c = now_s] { return c->load(); };
    return env().open(std::move(o));
  }
};

renewal renew(store& s, const replica_self& self, std::vector<std::string> wanted) {
  std::promise<renewal> p;
  s.leases().renew(self, ttl, std::move(wanted), [&](renewal r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

std::string fenced_set(store& s, const fence& f, const std::string& key, const std::string& v) {
  std::promise<std::string> p;
  s.kv_write_fenced("wx", key, v, f, [&](const std::string& e) { p.set_value(e); });
  return p.get_future().get();
}

TEST_P(LeaseTest, AFreeLeaseIsTakenWithTokenOneAndRenewedWithTheSameToken) {
  auto s = open();
  auto r = renew(*s, a, {"channel:wx"});
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.leases.size(), 1u);
  EXPECT_TRUE(r.leases[0].held);
  EXPECT_EQ(r.leases[0].token, 1);
  EXPECT_EQ(r.leases[0].owner, "a");
  *now_s += 5;
  r = renew(*s, a, {"channel:wx"});
  EXPECT_TRUE(r.leases[0].held);
  EXPECT_EQ(r.leases[0].token, 1);
}

TEST_P(LeaseTest, AnotherReplicaWaitsForTheHeartbeatToExpireThenTakesOverWithANewToken) {
  auto s1 = open();
  auto s2 = open();
  ASSERT_TRUE(renew(*s1, a, {"channel:wx"}).leases[0].held);
  auto r = renew(*s2, b, {"channel:wx"});
  ASSERT_EQ(r.error, "");
  EXPECT_FALSE(r.leases[0].held);
  EXPECT_EQ(r.leases[0].owner, "a");
  EXPECT_EQ(r.leases[0].owner_expires_unix_ms, (now_s->load() * 1000) + ttl.count());
  // a keeps renewing: b keeps waiting, however long it asks.
  for (int i = 0; i < 5; ++i) {
    *now_s += 10;
    ASSERT_TRUE(renew(*s1, a, {"channel:wx"}).leases[0].held);
    EXPECT_FALSE(renew(*s2, b, {"channel:wx"}).leases[0].held);
  }
  // a stops renewing (killed): once its heartbeat is older than the TTL, b takes over.
  *now_s += 14;
  EXPECT_FALSE(renew(*s2, b, {"channel:wx"}).leases[0].held) << "not before the TTL";
  *now_s += 2;
  r = renew(*s2, b, {"channel:wx"});
  EXPECT_TRUE(r.leases[0].held);
  EXPECT_EQ(r.leases[0].token, 2);
  // a comes back: it sees b as the holder and does not get it back.
  r = renew(*s1, a, {"channel:wx"});
  EXPECT_FALSE(r.leases[0].held);
  EXPECT_EQ(r.leases[0].owner, "b");
}

TEST_P(LeaseTest, AWriteFencedWithAStaleTokenIsRefusedAndLeavesTheDatabaseAlone) {
  auto s1 = open();
  auto s2 = open();
  const int64_t t1 = renew(*s1, a, {"channel:wx"}).leases[0].token;
  const fence fa{"channel:wx", t1, a};
  EXPECT_EQ(fenced_set(*s1, fa, "cursor", "c1"), "");
  *now_s += 16;
  const int64_t t2 = renew(*s2, b, {"channel:wx"}).leases[0].token;
  ASSERT_EQ(t2, t1 + 1);
  const std::string err = fenced_set(*s1, fa, "cursor", "stale");
  EXPECT_EQ(err.rfind("lease lost", 0), 0u) << err;
  // b reads the instance afresh (as a replica taking over does) and sees a's last landed cursor.
  s2->kv_reload("wx");
  EXPECT_EQ(s2->kv_get("wx", "cursor").value_or(""), "c1");
  EXPECT_EQ(fenced_set(*s2, fence{"channel:wx", t2, b}, "cursor", "c2"), "");
  s1->kv_reload("wx");
  EXPECT_EQ(s1->kv_get("wx", "cursor").value_or(""), "c2");
}

TEST_P(LeaseTest, ARestartUnderTheSameIdTakesItsLeaseBackAtOnceAndFencesTheOldProcess) {
  auto s = open();
  const int64_t t1 = renew(*s, a, {"channel:wx"}).leases[0].token;
  const replica_self a2{"a", "a-2"};
  auto r = renew(*s, a2, {"channel:wx"});
  EXPECT_TRUE(r.leases[0].held) << "no TTL wait for its own lease";
  EXPECT_EQ(r.leases[0].token, t1 + 1);
  EXPECT_EQ(fenced_set(*s, fence{"channel:wx", t1, a}, "cursor", "old").rfind("lease lost", 0), 0u);
  EXPECT_EQ(fenced_set(*s, fence{"channel:wx", t1 + 1, a2}, "cursor", "new"), "");
  EXPECT_EQ(r.other_incarnation, "a-1") << "the previous run's heartbeat was still fresh";
  // The old process renews again: it is told another incarnation heartbeats under its id.
  EXPECT_EQ(renew(*s, a, {"channel:wx"}).other_incarnation, "a-2");
}

TEST_P(LeaseTest, AGracefulReleaseLetsAnotherReplicaTakeOverWithoutWaiting) {
  auto s1 = open();
  auto s2 = open();
  ASSERT_TRUE(renew(*s1, a, {"channel:wx", "channel:wy"}).leases[1].held);
  std::promise<std::string> p;
  s1->leases().release_all(a, [&](std::string e) { p.set_value(std::move(e)); });
  ASSERT_EQ(p.get_future().get(), "");
  auto r = renew(*s2, b, {"channel:wx", "channel:wy"});
  EXPECT_TRUE(r.leases[0].held);
  EXPECT_TRUE(r.leases[1].held);
  EXPECT_EQ(r.leases[0].token, 2) << "a released lease's token still only grows";
}

TEST_P(LeaseTest, ALeaseNoLongerWantedIsReleasedByTheNextRenewal) {
  auto s1 = open();
  auto s2 = open();
  ASSERT_TRUE(renew(*s1, a, {"channel:wx", "channel:wy"}).leases[0].held);
  ASSERT_EQ(renew(*s1, a, {"channel:wy"}).error, "");
  EXPECT_TRUE(renew(*s2, b, {"channel:wx"}).leases[0].held);
  EXPECT_FALSE(renew(*s2, b, {"channel:wy"}).leases[0].held);
}

TEST_P(LeaseTest, EachWantedLeaseIsReportedInTheOrderAsked) {
  auto s = open();
  auto r = renew(*s, a, {"channel:z", "channel:a", "channel:m"});
  ASSERT_EQ(r.leases.size(), 3u);
  EXPECT_EQ(r.leases[0].name, "channel:z");
  EXPECT_EQ(r.leases[1].name, "channel:a");
  EXPECT_EQ(r.leases[2].name, "channel:m");
}

TEST_P(LeaseTest, AClosedStoreAnswersARenewalWithAnError) {
  auto s = open();
  s->close();
  auto r = renew(*s, a, {"channel:wx"});
  EXPECT_NE(r.error, "");
  ASSERT_EQ(r.leases.size(), 1u);
  EXPECT_FALSE(r.leases[0].held);
}

TEST_P(LeaseTest, TwoReplicasAskingAtOnceNeverBothHoldALease) {
  auto s1 = open();
  auto s2 = open();
  for (int i = 0; i < 20; ++i) {
    const std::string name = "channel:race" + std::to_string(i);
    auto f1 = std::async(std::launch::async, [&] { return renew(*s1, a, {name}); });
    auto f2 = std::async(std::launch::async, [&] { return renew(*s2, b, {name}); });
    const auto r1 = f1.get(), r2 = f2.get();
    ASSERT_EQ(r1.error, "");
    ASSERT_EQ(r2.error, "");
    EXPECT_NE(r1.leases[0].held, r2.leases[0].held) << name << ": exactly one holds it";
    EXPECT_EQ(r1.leases[0].token, 1) << name;
    EXPECT_EQ(r2.leases[0].token, 1) << name;
  }
}

PB_STORE_ENGINES(LeaseTest);

}  // namespace
