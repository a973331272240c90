// The X-NyxID-Timestamp check (note §1.2) and the OIDC discovery cache (note §1.3 item 2).
#include <gtest/gtest.h>

#include "nyxid/proto/callback_timestamp.hpp"
#include "nyxid/proto/oidc_cache.hpp"

namespace nx = patchbay::plugins::nyxid;

TEST(NyxidTimestamp, ParsesRfc3339Forms) {
  EXPECT_EQ(nx::parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(nx::parse_rfc3339_ms("2026-03-01T12:34:56Z"), 1772368496000);
  EXPECT_EQ(nx::parse_rfc3339_ms("2026-03-01T12:34:56.789Z"), 1772368496789);
  EXPECT_EQ(nx::parse_rfc3339_ms("2026-03-01T12:34:56.123456789+00:00"), 1772368496123);
  EXPECT_EQ(nx::parse_rfc3339_ms("2026-03-01T20:34:56+08:00"), 1772368496000);
  EXPECT_EQ(nx::parse_rfc3339_ms("2026-03-01t04:34:56-08:00"), 1772368496000);
  EXPECT_EQ(nx::parse_rfc3339_ms("2024-02-29T00:00:00Z"), 1709164800000);
}

TEST(NyxidTimestamp, RefusesWhatIsNotRfc3339) {
  for (const char* bad :
       {"", "2026-03-01", "2026-03-01T12:34:56", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-03-01T24:00:00Z", "2026-03-01T12:34:56.Z", "2026-03-01T12:34:56Zjunk", "1772368496",
        "2026-03-01T12:34:56+0800", "1969-12-31T23:59:59Z", "２026-03-01T00:00:00Z"})
    EXPECT_FALSE(nx::parse_rfc3339_ms(bad).has_value()) << bad;
}

TEST(NyxidTimestamp, FiveMinuteWindowWithSkew) {
  const int64_t t = 1772368496000;  // 2026-03-01T12:34:56Z
  const char* h = "2026-03-01T12:34:56Z";
  EXPECT_EQ(nx::check_callback_timestamp(h, t, {}), nx::timestamp_check::ok);
  EXPECT_EQ(nx::check_callback_timestamp(h, t + 300'000, {}), nx::timestamp_check::ok);
  EXPECT_EQ(nx::check_callback_timestamp(h, t + 300'001, {}), nx::timestamp_check::too_old);
  EXPECT_EQ(nx::check_callback_timestamp(h, t - 60'000, {}), nx::timestamp_check::ok);
  EXPECT_EQ(nx::check_callback_timestamp(h, t - 60'001, {}), nx::timestamp_check::in_future);
  EXPECT_EQ(nx::check_callback_timestamp("yesterday", t, {}), nx::timestamp_check::malformed);
  EXPECT_EQ(nx::check_callback_timestamp("", t, {}), nx::timestamp_check::missing);
  nx::timestamp_policy lax;
  lax.require = false;
  EXPECT_EQ(nx::check_callback_timestamp("", t, lax), nx::timestamp_check::ok);
  lax.max_age_ms = 10'000;
  EXPECT_EQ(nx::check_callback_timestamp(h, t + 10'001, lax), nx::timestamp_check::too_old);
}

TEST(NyxidOidcCache, CachedForTtlThenRefreshed) {
  nx::oidc_cache c({300'000, 10'000});
  EXPECT_TRUE(c.needs_refresh(0));
  EXPECT_FALSE(c.current().has_value());
  c.on_fetched({"https://nyx", "https://nyx/.well-known/jwks.json"}, 1'000);
  EXPECT_FALSE(c.needs_refresh(1'000));
  EXPECT_FALSE(c.needs_refresh(300'999));
  EXPECT_TRUE(c.fresh(300'999));
  EXPECT_TRUE(c.needs_refresh(301'000));
  EXPECT_FALSE(c.fresh(301'000));
  ASSERT_TRUE(c.current().has_value());
  EXPECT_EQ(c.current()->issuer, "https://nyx");
}

TEST(NyxidOidcCache, FailureKeepsTheOldDocumentAndPacesRetries) {
  nx::oidc_cache c({300'000, 10'000});
  c.on_fetch_failed(0);
  EXPECT_FALSE(c.needs_refresh(9'999));
  EXPECT_TRUE(c.needs_refresh(10'000));
  c.on_fetched({"https://a", "https://a/jwks"}, 20'000);
  c.on_fetch_failed(330'000);  // stale and the refresh failed
  EXPECT_FALSE(c.needs_refresh(335'000));
  EXPECT_TRUE(c.needs_refresh(340'000));
  ASSERT_TRUE(c.current().has_value());
  EXPECT_EQ(c.current()->jwks_uri, "https://a/jwks");
  c.on_fetched({"https://b", "https://b/jwks"}, 341'000);
  EXPECT_EQ(c.current()->issuer, "https://b");
  EXPECT_FALSE(c.needs_refresh(341'001));
  EXPECT_EQ(c.fetches(), 4u);
}
