// The session guard on a fake clock: the -14 recovery sequence (notifyStart at once, then 5 s
// doubling to 300 s while it fails), resumption, resets, and "re-login needed".
#include <gtest/gtest.h>

#include <vector>

#include "support/bounded_lru.hpp"
#include "weixin/proto/session_guard.hpp"

namespace {
using namespace patchbay::weixin;
using namespace std::chrono_literals;
using step = session_guard::step;
using health = session_guard::health;

guard_policy defaults() { return guard_policy{}; }

TEST(SessionGuard, FirstExpiryCallsNotifyStartAtOnceAndSuccessResumes) {
  session_guard g(defaults(), [] { return 0.5; });
  int64_t now = 1'000;
  EXPECT_EQ(g.on_poll_ok(now).next, step::poll);
  EXPECT_EQ(g.state(now), health::connected);
  auto d = g.on_session_expired(now);
  EXPECT_EQ(d.next, step::notify_start);
  EXPECT_EQ(d.delay, 0ms);
  EXPECT_TRUE(g.poll_paused());
  EXPECT_EQ(g.state(now), health::recovering);
  d = g.on_notify_ok(now += 50);
  EXPECT_EQ(d.next, step::poll);
  EXPECT_EQ(d.delay, 0ms);  // resumes at once
  EXPECT_FALSE(g.poll_paused());
  EXPECT_EQ(g.state(now), health::renewed);
  d = g.on_poll_ok(now += 50);
  EXPECT_EQ(d.next, step::poll);
  EXPECT_EQ(g.state(now), health::connected);
  EXPECT_EQ(g.attempt(), 0u);
  EXPECT_EQ(g.expired_since_ms(), 0);
}

TEST(SessionGuard, FailingNotifyStartBacksOffFiveSecondsDoublingCappedAtFiveMinutes) {
  session_guard g(defaults(), [] { return 0.5; });
  int64_t now = 1'000;
  EXPECT_EQ(g.on_session_expired(now).delay, 0ms);
  std::vector<int64_t> waits;
  for (int i = 0; i < 9; ++i) {
    auto d = g.on_notify_failed(now);
    EXPECT_EQ(d.next, step::notify_start);
    EXPECT_TRUE(g.poll_paused());
    waits.push_back(d.delay.count());
    now += d.delay.count();
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{5'000, 10'000, 20'000, 40'000, 80'000, 160'000, 300'000,
                                         300'000, 300'000}));
  // Success clears the pause; the first good poll resets the backoff.
  EXPECT_EQ(g.on_notify_ok(now).next, step::poll);
  g.on_poll_ok(now);
  EXPECT_EQ(g.on_session_expired(now).delay, 0ms);
  EXPECT_EQ(g.on_notify_failed(now).delay, 5'000ms);
}

TEST(SessionGuard, AcceptedNotifyStartButPersistentExpiryIsNotABusyLoop) {
  session_guard g(defaults(), [] { return 0.5; });
  int64_t now = 0;
  EXPECT_EQ(g.on_session_expired(now).delay, 0ms);
  std::vector<int64_t> waits;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(g.on_notify_ok(now).delay, 0ms);
    auto d = g.on_session_expired(now);  // the poll still answers -14
    EXPECT_EQ(d.next, step::notify_start);
    waits.push_back(d.delay.count());
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{5'000, 10'000, 20'000, 40'000}));
}

TEST(SessionGuard, PersistentExpiryBeyondTheLimitNeedsARelogin) {
  guard_policy p;
  p.relogin_after = 60'000ms;
  session_guard g(p, [] { return 0.5; });
  int64_t now = 10'000;
  g.on_session_expired(now);
  g.on_notify_failed(now += 5'000);
  EXPECT_EQ(g.state(now), health::recovering);
  g.on_notify_failed(now += 55'000);
  EXPECT_EQ(g.state(now), health::relogin_needed);
  EXPECT_NE(g.reason(now).find("re-login needed"), std::string::npos);
  // Still retrying, and a server-side re-login heals it.
  EXPECT_EQ(g.on_notify_ok(now).next, step::poll);
  g.on_poll_ok(now += 100);
  EXPECT_EQ(g.state(now), health::connected);
  EXPECT_EQ(g.reason(now), "");
}

TEST(SessionGuard, OtherPollFailuresBackOffWithTheRetryPolicy) {
  guard_policy p;
  p.retry_initial = 2'000ms;
  p.retry_max = 10'000ms;
  session_guard g(p, [] { return 0.5; });  // mid-range draw: no jitter effect
  std::vector<int64_t> waits;
  for (int i = 0; i < 5; ++i) {
    auto d = g.on_poll_failed(0);
    EXPECT_EQ(d.next, step::poll);
    waits.push_back(d.delay.count());
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{2'000, 4'000, 8'000, 10'000, 10'000}));
  EXPECT_EQ(g.state(0), health::reconnecting);
  EXPECT_EQ(g.attempt(), 5u);
  EXPECT_FALSE(g.poll_paused());
  g.on_poll_ok(0);
  EXPECT_EQ(g.on_poll_failed(0).delay, 2'000ms);
}

TEST(SessionGuard, ScaledPolicyKeepsTheShape) {
  guard_policy p;
  p.session_initial = 100ms;
  p.session_max = 800ms;
  session_guard g(p);
  g.on_session_expired(0);
  std::vector<int64_t> waits;
  for (int i = 0; i < 6; ++i) waits.push_back(g.on_notify_failed(0).delay.count());
  EXPECT_EQ(waits, (std::vector<int64_t>{100, 200, 400, 800, 800, 800}));
}

TEST(BoundedLru, ForgetsTheLeastRecentlyUsed) {
  patchbay::plugins::bounded_lru<std::string> lru(2);
  lru.put("a", "1");
  lru.put("b", "2");
  ASSERT_NE(lru.get("a"), nullptr);  // a is now the most recent
  lru.put("c", "3");                 // evicts b
  EXPECT_TRUE(lru.contains("a"));
  EXPECT_FALSE(lru.contains("b"));
  EXPECT_TRUE(lru.contains("c"));
  lru.put("a", "9");
  EXPECT_EQ(*lru.get("a"), "9");
  EXPECT_EQ(lru.size(), 2u);
  lru.erase("a");
  EXPECT_EQ(lru.get("a"), nullptr);
  for (int i = 0; i < 1000; ++i) lru.put(std::to_string(i), "x");
  EXPECT_EQ(lru.size(), 2u);
}

}  // namespace
