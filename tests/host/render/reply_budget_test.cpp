// The per-reply send budget (render/reply_budget.hpp, pb_capabilities.max_sends_per_reply): the
// plan of a long answer within the budget (at most that many parts, the last ending with the cut
// marker, every part within the limit), and the platform renderer never sending past it, keeping
// one send for an error notice while the answer streams.
#include <gtest/gtest.h>

#include <deque>

#include "patchbay/pb_messages.h"
#include "render/chunker.hpp"
#include "render/platform_renderer.hpp"
#include "render/reply_budget.hpp"
#include "render/text_units.hpp"
#include "renderer_fake_port.hpp"

namespace {
using namespace patchbay;
using namespace patchbay::render;

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string words(size_t bytes) {
  std::string t;
  while (t.size() < bytes) t += "lorem ipsum dolor sit amet ";
  t.resize(bytes);
  return t;
}

TEST(ReplyBudget, AFittingTextIsChunkedAsUsual) {
  const chunk_options opt{100, PB_UNIT_CODEPOINTS, true};
  const std::string text = words(450);
  auto fit = fit_parts(text, opt, 10);
  EXPECT_FALSE(fit.cut);
  EXPECT_EQ(fit.parts, chunk_text(text, opt).parts);
}

TEST(ReplyBudget, AOneMegabyteTextBecomesTenPartsTheLastEndingWithTheMarker) {
  const chunk_options opt{2000, PB_UNIT_CODEPOINTS, true};
  const std::string text = words(1 << 20);
  auto fit = fit_parts(text, opt, 10);
  ASSERT_TRUE(fit.cut);
  ASSERT_LE(fit.parts.size(), 10u);
  EXPECT_GE(fit.parts.size(), 9u);  // the budget is used, not wasted
  EXPECT_TRUE(ends_with(fit.parts.back(), cut_marker)) << fit.parts.back();
  for (const auto& p : fit.parts) EXPECT_LE(measure(p, PB_UNIT_CODEPOINTS), 2000u);
  // What was sent is the start of the answer, then the marker.
  auto whole = strip_markers(fit.parts);
  ASSERT_TRUE(whole.has_value());
  ASSERT_TRUE(ends_with(*whole, cut_marker));
  const std::string shown = whole->substr(0, whole->size() - cut_marker.size());
  EXPECT_EQ(text.compare(0, shown.size(), shown), 0);
  EXPECT_GT(shown.size(), 9u * 1900u);
}

TEST(ReplyBudget, MultibyteTextIsNeverCutInsideACharacter) {
  const chunk_options opt{120, PB_UNIT_UTF16, true};
  std::string text;
  for (int i = 0; i < 400; ++i) text += "\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80 ";
  auto fit = fit_parts(text, opt, 3);
  ASSERT_TRUE(fit.cut);
  ASSERT_LE(fit.parts.size(), 3u);
  for (const auto& p : fit.parts) EXPECT_LE(measure(p, PB_UNIT_UTF16), 120u);
  auto whole = strip_markers(fit.parts);
  ASSERT_TRUE(whole.has_value());
  const std::string shown = whole->substr(0, whole->size() - cut_marker.size());
  EXPECT_EQ(text.compare(0, shown.size(), shown), 0);  // a whole-character prefix
}

TEST(ReplyBudget, OnePartLeftAndNoneLeft) {
  const chunk_options opt{100, PB_UNIT_CODEPOINTS, true};
  auto one = fit_parts(words(1000), opt, 1);
  ASSERT_EQ(one.parts.size(), 1u);
  EXPECT_TRUE(ends_with(one.parts[0], cut_marker));
  EXPECT_LE(measure(one.parts[0], PB_UNIT_CODEPOINTS), 100u);
  auto none = fit_parts(words(1000), opt, 0);
  EXPECT_TRUE(none.parts.empty());
  EXPECT_TRUE(none.cut);
}

using renderer_test::fake_port;

effective_caps budget_caps(uint32_t max_sends, uint32_t limit = 100) {
  effective_caps c;
  c.limit = limit;
  c.unit = PB_UNIT_CODEPOINTS;
  c.can_edit = false;  // iLink: the answer is buffered and sent at the end
  c.reply_token = PB_REPLY_TOKEN_REUSABLE;
  c.max_sends = max_sends;
  return c;
}

struct BudgetRenderer : ::testing::Test {
  fake_port port;
  std::optional<turn_outcome> outcome;
  std::unique_ptr<platform_renderer> make(effective_caps caps) {
    return std::make_unique<platform_renderer>(
        turn_target{"t1", "chat-1", "", "in-msg-1", "TOKEN", "user-1"}, caps, port,
        [this](turn_outcome o) { outcome = o; });
  }
};

TEST_F(BudgetRenderer, ALongAnswerIsCutToTheBudgetAndNothingIsSentPastIt) {
  auto r = make(budget_caps(10));
  r->on_delta(words(100'000));
  r->on_complete();
  port.drain();
  ASSERT_EQ(port.history.size(), 10u);
  EXPECT_TRUE(ends_with(port.history.back().text(), cut_marker));
  EXPECT_EQ(outcome, turn_outcome::complete);
  size_t cut_lines = 0;
  for (const auto& [level, text] : port.logs)
    cut_lines += text.find("was cut") != std::string::npos;
  EXPECT_EQ(cut_lines, 1u);
}

TEST_F(BudgetRenderer, ContentKeepsOneSendForTheErrorNotice) {
  auto r = make(budget_caps(3));
  r->on_content(words(1000), false);  // 10+ parts worth: fitted into 2 (one kept in reserve)
  port.drain();
  EXPECT_EQ(port.history.size(), 2u);
  EXPECT_TRUE(ends_with(port.history.back().text(), cut_marker));
  r->on_delta("some answer");
  r->on_error("the agent failed");
  port.drain();
  ASSERT_EQ(port.history.size(), 3u);  // the notice still went out, within the budget
  EXPECT_NE(port.history.back().text().find("the agent failed"), std::string::npos);
}

TEST_F(BudgetRenderer, AnErrorAfterALongTextKeepsTheNotice) {
  auto r = make(budget_caps(4));
  r->on_delta(words(5000));
  r->on_error("the agent failed");
  port.drain();
  ASSERT_EQ(port.history.size(), 4u);
  EXPECT_TRUE(ends_with(port.history[2].text(), cut_marker));
  EXPECT_NE(port.history.back().text().find("the agent failed"), std::string::npos);
}

TEST_F(BudgetRenderer, NoBudgetMeansUnlimited) {
  auto r = make(budget_caps(0));
  r->on_delta(words(3000));
  r->on_complete();
  port.drain();
  EXPECT_EQ(port.history.size(),
            chunk_text(words(3000), {100, PB_UNIT_CODEPOINTS, true}).parts.size());
}

TEST(ReplyBudgetCaps, NarrowingTakesTheSmallerBudgetAndTyping) {
  pb_capabilities p{};
  p.struct_size = sizeof p;
  p.can_typing = PB_YES;
  p.max_sends_per_reply = 10;
  EXPECT_EQ(narrow(p, std::nullopt).max_sends, 10u);
  EXPECT_TRUE(narrow(p, std::nullopt).can_typing);
  pb_capabilities m{};
  m.struct_size = sizeof m;
  m.max_sends_per_reply = 4;
  m.can_typing = PB_NO;
  EXPECT_EQ(narrow(p, m).max_sends, 4u);
  EXPECT_FALSE(narrow(p, m).can_typing);
}

}  // namespace
