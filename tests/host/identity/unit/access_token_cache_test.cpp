// The token cache policy: served well inside the lifetime, never past min(expires_in, 300 s)
// minus the margin, per binding, bounded.
#include <gtest/gtest.h>

#include "identity/access_token_cache.hpp"

namespace {
using patchbay::identity::access_token_cache;

constexpr std::int64_t t0 = 1'700'000'000'000;

TEST(TokenCache, ServedUntilTheMarginBeforeExpiry) {
  access_token_cache c;
  c.put("bnd_1", "tok", 300, t0);
  EXPECT_EQ(c.get("bnd_1", t0), "tok");
  EXPECT_EQ(c.get("bnd_1", t0 + 239'999), "tok");
  EXPECT_EQ(c.get("bnd_1", t0 + 240'000), std::nullopt);  // 300 s - 60 s margin
  EXPECT_EQ(c.size(), 0u);
}

TEST(TokenCache, LongerLifetimesAreCappedAt300s) {
  access_token_cache c;
  c.put("bnd_1", "tok", 3600, t0);
  EXPECT_EQ(c.get("bnd_1", t0 + 239'000), "tok");
  EXPECT_EQ(c.get("bnd_1", t0 + 240'000), std::nullopt);
}

TEST(TokenCache, ShortLifetimesKeepHalfAsMargin) {
  access_token_cache c;
  c.put("bnd_1", "tok", 10, t0);
  EXPECT_EQ(c.get("bnd_1", t0 + 4'999), "tok");
  EXPECT_EQ(c.get("bnd_1", t0 + 5'000), std::nullopt);
  c.put("bnd_2", "tok", 1, t0);
  EXPECT_EQ(c.get("bnd_2", t0 + 499), "tok");
  EXPECT_EQ(c.get("bnd_2", t0 + 500), std::nullopt);
  c.put("bnd_3", "tok", 0, t0);  // no stated lifetime: not cached
  EXPECT_EQ(c.get("bnd_3", t0), std::nullopt);
}

TEST(TokenCache, PerBindingAndErasable) {
  access_token_cache c;
  c.put("bnd_1", "a", 300, t0);
  c.put("bnd_2", "b", 300, t0);
  EXPECT_EQ(c.get("bnd_1", t0), "a");
  EXPECT_EQ(c.get("bnd_2", t0), "b");
  c.erase("bnd_1");
  EXPECT_EQ(c.get("bnd_1", t0), std::nullopt);
  EXPECT_EQ(c.get("bnd_2", t0), "b");
}

TEST(TokenCache, Bounded) {
  access_token_cache c(3);
  c.put("a", "1", 300, t0);
  c.put("b", "2", 300, t0 + 1000);
  c.put("c", "3", 300, t0 + 2000);
  c.put("d", "4", 300, t0 + 3000);  // evicts the soonest-expiring: a
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.get("a", t0 + 3000), std::nullopt);
  EXPECT_EQ(c.get("d", t0 + 3000), "4");
  c.put("d", "5", 300, t0 + 4000);  // replacing does not evict
  EXPECT_EQ(c.size(), 3u);
}

}  // namespace
