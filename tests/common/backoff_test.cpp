#include <gtest/gtest.h>

#include "patchbay/common/backoff.hpp"

namespace patchbay::common {
namespace {
using std::chrono::milliseconds;

TEST(Backoff, GrowsByTheFactorUpToTheCapWithoutJitter) {
  backoff b({milliseconds(5000), 2.0, milliseconds(300000), 0.0});
  std::vector<long> seen;
  for (int i = 0; i < 9; ++i) seen.push_back(static_cast<long>(b.next().count()));
  EXPECT_EQ(seen,
            (std::vector<long>{5000, 10000, 20000, 40000, 80000, 160000, 300000, 300000, 300000}));
  EXPECT_EQ(b.failures(), 9u);
  b.reset();
  EXPECT_EQ(b.next(), milliseconds(5000));
}

TEST(Backoff, JitterStaysWithinItsBandAndTheCap) {
  double r = 0.0;
  backoff low({milliseconds(2000), 1.8, milliseconds(60000), 0.2}, [&] { return r; });
  EXPECT_EQ(low.next(), milliseconds(1600));  // 2000 * (1 - 0.2)
  r = 0.999999;
  backoff high({milliseconds(2000), 1.8, milliseconds(60000), 0.2}, [&] { return r; });
  EXPECT_NEAR(static_cast<double>(high.next().count()), 2400.0, 1.0);  // 2000 * 1.2
  for (int i = 0; i < 50; ++i) EXPECT_LE(high.next(), milliseconds(60000));
}

TEST(Backoff, DefaultRandomSourceIsBounded) {
  backoff b;  // 2 s, x1.8, 60 s cap, 20 % jitter
  for (int i = 0; i < 100; ++i) {
    auto d = b.next();
    EXPECT_GE(d, milliseconds(1));
    EXPECT_LE(d, milliseconds(60000));
  }
  EXPECT_EQ(b.peek_base(), milliseconds(60000));
}

TEST(Backoff, PolicyIsSanitized) {
  backoff b({milliseconds(0), 0.5, milliseconds(0), 7.0}, [] { return 0.5; });
  EXPECT_EQ(b.policy().initial, milliseconds(1));
  EXPECT_GE(b.policy().factor, 1.0);
  EXPECT_LE(b.policy().jitter, 1.0);
  EXPECT_GE(b.next(), milliseconds(1));
}

TEST(StabilityGate, OnlyAConnectionThatStayedUpCounts) {
  stability_gate g{milliseconds(30000)};
  EXPECT_FALSE(g.stable(0, 100000));    // never came up
  EXPECT_FALSE(g.stable(1000, 30999));  // 29.999 s
  EXPECT_TRUE(g.stable(1000, 31000));
}

}  // namespace
}  // namespace patchbay::common
