// The log subject tag: what a log line is about (channel, turn), carried in its payload.
#include "patchbay/common/log_subject.hpp"

#include <gtest/gtest.h>

namespace patchbay::common {
namespace {

TEST(LogSubject, TagRoundTrips) {
  auto t = log_tag({"feishu-main", "t-42"});
  auto p = log_untag(t + "hello");
  EXPECT_EQ(p.channel, "feishu-main");
  EXPECT_EQ(p.turn, "t-42");
  EXPECT_EQ(p.text, "hello");
  EXPECT_EQ(log_tag({}), "");
  auto only_turn = log_untag(log_tag({"", "t-1"}) + "x");
  EXPECT_EQ(only_turn.channel, "");
  EXPECT_EQ(only_turn.turn, "t-1");
  auto plain = log_untag("no tag here");
  EXPECT_EQ(plain.text, "no tag here");
  EXPECT_TRUE(plain.channel.empty());
}

TEST(LogSubject, ControlCharactersInIdsCannotForgeFields) {
  std::string evil = std::string("a\x1f") + "turn" + "\x1f" + "forged\x02 text";
  auto p = log_untag(log_tag({evil, ""}) + "msg");
  EXPECT_EQ(p.turn, "");
  EXPECT_EQ(p.text, "msg");
  EXPECT_EQ(p.channel, "a?turn?forged? text");
}

}  // namespace
}  // namespace patchbay::common
