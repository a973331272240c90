#include <gtest/gtest.h>

#include "api/notice_routes.hpp"
#include "patchbay/pb_types.h"

namespace patchbay::api {
namespace {

route r(std::string ch, std::string conv, std::string th = "") { return {ch, conv, th}; }

TEST(Routes, EqualityIgnoresCase) {
  EXPECT_TRUE(equal_routes(r("Feishu", "OC_abc"), r("feishu", "oc_ABC")));
  EXPECT_FALSE(equal_routes(r("feishu", "oc_abc"), r("feishu", "oc_abd")));
  EXPECT_FALSE(equal_routes(r("feishu", "oc_abc", "t1"), r("feishu", "oc_abc")));
  EXPECT_FALSE(equal_routes(r("lark", "oc_abc"), r("feishu", "oc_abc")));
}

TEST(Routes, NoticeGoesToLastSeenThenFallbacksThenPrimary) {
  auto plan = plan_failure_notice(r("nyx", "chat-9"), r("lark", "dm-1"),
                                  {r("weixin", "u@im.wechat"), r("lark", "group-2")});
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(plan[0].channel, "lark");
  EXPECT_EQ(plan[0].conversation, "dm-1");
  EXPECT_EQ(plan[1].channel, "weixin");
  EXPECT_EQ(plan[2].conversation, "group-2");
  EXPECT_EQ(plan[3].channel, "nyx");
}

TEST(Routes, EqualRoutesAreTriedOnceAtTheirFirstPosition) {
  auto plan = plan_failure_notice(r("nyx", "Chat-9"), r("NYX", "chat-9"),
                                  {r("lark", "dm-1"), r("Lark", "DM-1"), r("nyx", "CHAT-9")});
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].channel, "NYX");  // the last-seen route keeps its place (first)
  EXPECT_EQ(plan[1].channel, "lark");
}

TEST(Routes, WithoutLastSeenOrFallbacksOnlyThePrimary) {
  auto plan = plan_failure_notice(r("nyx", "c"), std::nullopt, {});
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].channel, "nyx");
  EXPECT_TRUE(plan_failure_notice(r("", ""), std::nullopt, {r("x", "")}).empty());
}

TEST(Routes, StructuralFailuresAreTheOnesRetriesCannotFix) {
  EXPECT_TRUE(structural_failure(PB_ERR_AUTH));
  EXPECT_TRUE(structural_failure(PB_ERR_REJECTED));
  EXPECT_TRUE(structural_failure(PB_ERR_NOT_FOUND));
  EXPECT_FALSE(structural_failure(PB_ERR_RETRYABLE));
  EXPECT_FALSE(structural_failure(PB_ERR_RATE_LIMITED));
  EXPECT_FALSE(structural_failure(PB_OK));
}

TEST(Routes, NoticeTextNamesTheJobAndBoundsTheReason) {
  EXPECT_EQ(failure_notice_text("daily report", "cross-tenant"),
            "A message for you could not be delivered (daily report). Reason: cross-tenant.");
  EXPECT_LT(failure_notice_text("", std::string(5000, 'x')).size(), 300u);
}

}  // namespace
}  // namespace patchbay::api
