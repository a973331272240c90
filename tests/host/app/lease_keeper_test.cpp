// The host's lease keeper (app/lease_keeper.hpp) on real SQLite stores sharing one file, as two
// replicas: who runs a single-consumer channel, failover after a crash (the heartbeat expires on
// the stores' fake clock), at once after a graceful stop, and self-fencing when renewals stop
// landing (the keeper's fake monotonic clock).
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "app/lease_keeper.hpp"
#include "state/store.hpp"

namespace {
using namespace patchbay;
using namespace std::chrono;

constexpr milliseconds ttl{15'000};

// The changes one keeper reported, waited for with a generous real-time bound.
struct changes {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<app::lease_change> seen;
  void add(app::lease_change c) {
    std::lock_guard lk(mu);
    seen.push_back(std::move(c));
    cv.notify_all();
  }
  // The first change after `from` matching `held`, or nullopt after 5 s.
  std::optional<app::lease_change> wait(bool held, std::size_t from = 0) {
    std::unique_lock lk(mu);
    std::optional<app::lease_change> out;
    cv.wait_for(lk, seconds(5), [&] {
      for (std::size_t i = from; i < seen.size(); ++i)
        if (seen[i].held == held) {
          out = seen[i];
          return true;
        }
      return false;
    });
    return out;
  }
  std::size_t size() {
    std::lock_guard lk(mu);
    return seen.size();
  }
};

// Passes renewals through to a real lease table until stalled: then they never answer (a store
// that hangs), as a database that stopped answering would.
struct stalling_leases final : state::lease_table {
  explicit stalling_leases(state::lease_table& t) : real(t) {}
  void renew(const state::replica_self& self, milliseconds t, std::vector<std::string> wanted,
             state::renewal_done done) override {
    if (stalled) return;
    real.renew(self, t, std::move(wanted), std::move(done));
  }
  void release_all(const state::replica_self& self,
                   std::function<void(std::string)> done) override {
    real.release_all(self, std::move(done));
  }
  state::lease_table& real;
  std::atomic<bool> stalled{false};
};

struct LeaseKeeperTest : ::testing::Test {
  std::filesystem::path db =
      std::filesystem::temp_directory_path() / ("pb_keeper_" + std::to_string(::getpid()) + ".db");
  std::shared_ptr<std::atomic<int64_t>> now_s = std::make_shared<std::atomic<int64_t>>(1'000'000);
  std::shared_ptr<std::atomic<int64_t>> mono_ms = std::make_shared<std::atomic<int64_t>>(0);
  kit::io_runtime rt{1};

  void SetUp() override { remove(); }
  void TearDown() override {
    rt.stop();
    remove();
  }
  void remove() {
    for (auto s : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + s);
  }
  std::unique_ptr<state::store> open() {
    state::store_options o;
    o.clock = [c = now_s] { return c->load(); };
    return state::open_sqlite_store(db.string(), o);
  }
  app::lease_keeper_options options() {
    return {ttl, milliseconds(20), [m = mono_ms] { return m->load(); }};
  }
  std::unique_ptr<app::lease_keeper> keeper(state::lease_table& t, const std::string& id,
                                            changes& out) {
    return std::make_unique<app::lease_keeper>(
        rt, t, state::replica_self{id, id + "-1"}, options(),
        [&out](app::lease_change c) { out.add(std::move(c)); });
  }
};

TEST_F(LeaseKeeperTest, OneReplicaRunsTheChannelAndTheOtherTakesOverAfterACrash) {
  auto sa = open();
  auto sb = open();
  changes ca, cb;
  auto ka = keeper(sa->leases(), "a", ca);
  ka->want({"wx"});
  auto gained = ca.wait(true);
  ASSERT_TRUE(gained);
  EXPECT_EQ(gained->channel, "wx");
  EXPECT_EQ(gained->token, 1);

  auto kb = keeper(sb->leases(), "b", cb);
  kb->want({"wx"});
  auto standby = cb.wait(false);
  ASSERT_TRUE(standby);
  EXPECT_NE(standby->reason.find("replica a"), std::string::npos) << standby->reason;

  ka->stop(milliseconds(0));  // a crash: nothing released, the heartbeat just stops
  *now_s += 16;               // past the TTL on the stores' clock
  auto taken = cb.wait(true);
  ASSERT_TRUE(taken) << "b did not take over after a's heartbeat expired";
  EXPECT_EQ(taken->token, 2);
  kb->stop(seconds(2));
}

TEST_F(LeaseKeeperTest, AGracefulStopHandsTheChannelOverWithoutWaitingForTheTtl) {
  auto sa = open();
  auto sb = open();
  changes ca, cb;
  auto ka = keeper(sa->leases(), "a", ca);
  ka->want({"wx"});
  ASSERT_TRUE(ca.wait(true));
  auto kb = keeper(sb->leases(), "b", cb);
  kb->want({"wx"});
  ASSERT_TRUE(cb.wait(false));
  ka->stop(seconds(2));  // releases: no clock moves below
  auto taken = cb.wait(true);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->token, 2);
  kb->stop(seconds(2));
}

TEST_F(LeaseKeeperTest, RenewalsThatStopLandingEndTheLeaseBeforeAnotherReplicaMayTakeIt) {
  auto s = open();
  stalling_leases leases(s->leases());
  changes c;
  auto k = keeper(leases, "a", c);
  k->want({"wx"});
  ASSERT_TRUE(c.wait(true));
  leases.stalled = true;
  const std::size_t before = c.size();
  // Less than the TTL minus the keeper's margin: still held.
  *mono_ms += ttl.count() / 2;
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(c.size(), before);
  *mono_ms += ttl.count() / 2;  // a full TTL since the last renewal that landed
  auto lost = c.wait(false, before);
  ASSERT_TRUE(lost) << "the keeper kept a lease it could not renew";
  EXPECT_NE(lost->reason.find("cannot renew"), std::string::npos) << lost->reason;
  k->stop(milliseconds(0));
}

TEST_F(LeaseKeeperTest, AChannelNoLongerWantedIsReleasedForOthers) {
  auto sa = open();
  auto sb = open();
  changes ca, cb;
  auto ka = keeper(sa->leases(), "a", ca);
  ka->want({"wx", "wy"});
  ASSERT_TRUE(ca.wait(true));
  auto kb = keeper(sb->leases(), "b", cb);
  kb->want({"wx"});
  ASSERT_TRUE(cb.wait(false));
  ka->want({"wy"});  // e.g. a reload removed wx from a
  auto taken = cb.wait(true);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->channel, "wx");
  ka->stop(seconds(2));
  kb->stop(seconds(2));
}

}  // namespace
