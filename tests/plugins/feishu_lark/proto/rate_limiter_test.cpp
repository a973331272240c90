// Token buckets on an injected clock.
#include <gtest/gtest.h>

#include "feishu_lark/proto/rate_limiter.hpp"

namespace fam = patchbay::plugins::feishu_family;

TEST(TokenBucket, BurstThenSteadyRate) {
  fam::token_bucket b({2.0, 3.0}, 0);  // 2/s, burst 3
  EXPECT_TRUE(b.try_take(0));
  EXPECT_TRUE(b.try_take(0));
  EXPECT_TRUE(b.try_take(0));
  EXPECT_FALSE(b.try_take(0));
  EXPECT_EQ(b.wait_ms(0), 500);
  EXPECT_EQ(b.wait_ms(499), 1);
  EXPECT_TRUE(b.try_take(500));
  EXPECT_FALSE(b.try_take(500));
  // Idle time refills only up to the burst.
  EXPECT_NEAR(b.tokens(100'000), 3.0, 1e-9);
  // A clock going backwards grants nothing.
  fam::token_bucket c({1.0, 1.0}, 1000);
  EXPECT_TRUE(c.try_take(1000));
  EXPECT_FALSE(c.try_take(0));
  EXPECT_GT(c.wait_ms(500), 0);
}

TEST(RateLimiter, PerChatAndPerApp) {
  fam::rate_limits l;
  l.app = {10.0, 5.0};
  l.chat = {1.0, 2.0};
  fam::rate_limiter r(l);
  EXPECT_EQ(r.acquire("oc_a", 0), 0);
  EXPECT_EQ(r.acquire("oc_a", 0), 0);
  const int64_t wait = r.acquire("oc_a", 0);
  EXPECT_EQ(wait, 1000);  // chat bucket empty
  // Another chat is not held back by oc_a …
  EXPECT_EQ(r.acquire("oc_b", 0), 0);
  EXPECT_EQ(r.acquire("oc_b", 0), 0);
  // … but the app bucket (5) is now nearly spent: 4 taken.
  EXPECT_EQ(r.acquire("oc_c", 0), 0);
  EXPECT_EQ(r.acquire("oc_d", 0), 100);  // app empty: 10/s → 100 ms
  EXPECT_EQ(r.acquire("", 0), 100);
  EXPECT_EQ(r.acquire("oc_d", 100), 0);
  // A refused call takes nothing: oc_a is free again exactly after its wait.
  EXPECT_EQ(r.acquire("oc_a", 1000), 0);
}

TEST(RateLimiter, BlockUntilAfterARateLimitAnswer) {
  fam::rate_limiter r;
  r.block_app_until(5000);
  EXPECT_EQ(r.acquire("oc_a", 1000), 4000);
  EXPECT_EQ(r.acquire("oc_a", 5000), 0);
  r.block_chat_until("oc_b", 9000);
  EXPECT_EQ(r.acquire("oc_b", 6000), 3000);
  EXPECT_EQ(r.acquire("oc_c", 6000), 0);
  EXPECT_EQ(r.acquire("oc_b", 9000), 0);
  r.block_app_until(1000);  // never shortens a block
  EXPECT_EQ(r.acquire("", 9001), 0);
}

TEST(RateLimiter, ChatTableIsBounded) {
  fam::rate_limits l;
  l.max_chats = 8;
  l.app = {1e6, 1e6};
  l.chat = {1.0, 1.0};
  fam::rate_limiter r(l);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(r.acquire("oc_" + std::to_string(i), 0), 0);
  EXPECT_EQ(r.chat_buckets(), 8u);
  // The most recent ones are kept (still empty); an evicted one starts full.
  EXPECT_GT(r.acquire("oc_999", 0), 0);
  EXPECT_EQ(r.acquire("oc_0", 0), 0);
  EXPECT_EQ(r.chat_buckets(), 8u);
}
