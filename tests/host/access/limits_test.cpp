// Token buckets, the per-channel limiter and its bounded sender map, staleness: on injected clocks.
#include <gtest/gtest.h>

#include "access/inbound_limiter.hpp"
#include "access/lru_map.hpp"
#include "access/staleness.hpp"
#include "access/token_bucket.hpp"

namespace {
using namespace std::chrono_literals;
using patchbay::access::steady_time;

TEST(TokenBucket, BurstThenRefillAtTheRate) {
  const patchbay::config::bucket_config cfg{60, 3};  // one per second, three at once
  steady_time t0{};
  patchbay::access::token_bucket b(cfg, t0);
  EXPECT_TRUE(b.take(cfg, t0));
  EXPECT_TRUE(b.take(cfg, t0));
  EXPECT_TRUE(b.take(cfg, t0));
  EXPECT_FALSE(b.take(cfg, t0));
  EXPECT_EQ(b.wait(cfg, t0), 1000ms);
  EXPECT_FALSE(b.take(cfg, t0 + 999ms));
  EXPECT_TRUE(b.take(cfg, t0 + 1000ms));
  // Refill is capped at the burst.
  EXPECT_TRUE(b.take(cfg, t0 + 1h));
  EXPECT_TRUE(b.take(cfg, t0 + 1h));
  EXPECT_TRUE(b.take(cfg, t0 + 1h));
  EXPECT_FALSE(b.take(cfg, t0 + 1h));
}

TEST(TokenBucket, ZeroRateMeansNoLimit) {
  const patchbay::config::bucket_config cfg{0, 1};
  patchbay::access::token_bucket b(cfg, steady_time{});
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(b.take(cfg, steady_time{}));
}

TEST(InboundLimiter, PerSenderAndPerChannel) {
  patchbay::config::limits_config cfg;
  cfg.per_sender = {60, 2};
  cfg.per_channel = {60, 3};
  steady_time t0{};
  patchbay::access::inbound_limiter lim(cfg, t0);
  EXPECT_TRUE(lim.try_admit("a", t0));
  EXPECT_TRUE(lim.try_admit("a", t0));
  EXPECT_FALSE(lim.try_admit("a", t0));  // a's bucket is empty
  EXPECT_TRUE(lim.try_admit("b", t0));
  EXPECT_FALSE(lim.try_admit("c", t0));  // the channel's bucket is empty
  EXPECT_EQ(lim.wait("c", t0), 1000ms);
  EXPECT_TRUE(lim.try_admit("c", t0 + 1s));
}

TEST(InboundLimiter, NoticeOncePerWindow) {
  patchbay::access::inbound_limiter lim({}, steady_time{});
  using kind = patchbay::access::inbound_limiter::notice_kind;
  steady_time t0{};
  EXPECT_TRUE(lim.should_notice("a", kind::rate, t0, 60s));
  EXPECT_FALSE(lim.should_notice("a", kind::rate, t0 + 59s, 60s));
  EXPECT_TRUE(lim.should_notice("a", kind::late, t0 + 59s, 60s));  // another kind
  EXPECT_TRUE(lim.should_notice("b", kind::rate, t0 + 59s, 60s));  // another sender
  EXPECT_TRUE(lim.should_notice("a", kind::rate, t0 + 60s, 60s));
}

TEST(InboundLimiter, AFloodOfSendersStaysBounded) {
  patchbay::config::limits_config cfg;
  cfg.per_channel = {0, 1};
  patchbay::access::inbound_limiter lim(cfg, steady_time{}, 100);
  for (int i = 0; i < 10000; ++i) lim.try_admit("s" + std::to_string(i), steady_time{});
  EXPECT_EQ(lim.tracked_senders(), 100U);
}

TEST(LruMap, EvictsTheLeastRecentlyUsed) {
  patchbay::access::lru_map<int> m(2);
  m.get_or_create("a", [] { return 1; });
  m.get_or_create("b", [] { return 2; });
  m.get_or_create("a", [] { return 0; });  // touch a
  m.get_or_create("c", [] { return 3; });  // evicts b
  EXPECT_NE(m.find("a"), nullptr);
  EXPECT_EQ(m.find("b"), nullptr);
  EXPECT_EQ(*m.find("c"), 3);
}

TEST(Staleness, ThresholdAndUnknown) {
  patchbay::config::late_config l;  // 600 s
  const int64_t now = 1'700'000'000'000;
  EXPECT_FALSE(patchbay::access::is_late(0, now, l));  // unknown send time
  EXPECT_FALSE(patchbay::access::is_late(now - 600'000, now, l));
  EXPECT_TRUE(patchbay::access::is_late(now - 600'001, now, l));
  EXPECT_FALSE(patchbay::access::is_late(now + 5'000, now, l));  // clock skew
  l.after = std::chrono::seconds(0);
  EXPECT_FALSE(patchbay::access::is_late(1, now, l));  // never late
}

}  // namespace
