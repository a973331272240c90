// The bounded line splitter's skip policy (the stop policy is covered by the agents' stream
// tests, tests of its first user): an overlong line is dropped up to its newline and reported
// once, the lines around it come through, and memory stays within the bound.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "patchbay/common/line_splitter.hpp"

namespace {
using patchbay::common::line_splitter;

struct collected {
  std::vector<std::string> lines;
  int overlong = 0;
};

collected run(line_splitter& s, const std::vector<std::string>& pieces) {
  collected c;
  for (const auto& p : pieces)
    s.feed(
        p,
        [&](std::string_view l) {
          c.lines.emplace_back(l);
          return true;
        },
        [&] { ++c.overlong; });
  return c;
}

TEST(LineSplitterSkip, OverlongCompleteLineIsDroppedAndTheNextComeThrough) {
  line_splitter s(5, line_splitter::overlong::skip);
  const auto c = run(s, {"ok\r\ntoolongline\nfine\n"});
  EXPECT_EQ(c.lines, (std::vector<std::string>{"ok", "fine"}));
  EXPECT_EQ(c.overlong, 1);
  EXPECT_TRUE(s.overflowed());
  EXPECT_FALSE(s.stopped());
}

TEST(LineSplitterSkip, OverlongGrowingLineIsSkippedAcrossFeedsWithoutBuffering) {
  line_splitter s(5, line_splitter::overlong::skip);
  const auto c = run(s, {"abc", "defgh", std::string(10000, 'x'), "yz\nnext\nlast"});
  EXPECT_EQ(c.lines, (std::vector<std::string>{"next"}));
  EXPECT_EQ(c.overlong, 1);
  EXPECT_EQ(s.rest(), "last");
}

TEST(LineSplitterSkip, ExactlyAtTheBoundPassesWithCrlf) {
  line_splitter s(5, line_splitter::overlong::skip);
  const auto c = run(s, {"12345\r", "\n123456\n"});
  EXPECT_EQ(c.lines, (std::vector<std::string>{"12345"}));
  EXPECT_EQ(c.overlong, 1);
}

TEST(LineSplitterStop, StopsForGood) {
  line_splitter s(3);
  const auto c = run(s, {"ab\nabcd\nab\n"});
  EXPECT_EQ(c.lines, (std::vector<std::string>{"ab"}));
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(c.overlong, 0);  // the stop policy reports through overflowed()
  EXPECT_TRUE(s.overflowed());
}

}  // namespace
