// The platform renderer against a scripted fake platform and a fake clock: every rule of the
// renderer (docs/architecture.md §5, issue "turn routing") has a test that fails without it.
#include <gtest/gtest.h>

#include <deque>

#include "patchbay/pb_messages.h"
#include "render/chunker.hpp"
#include "render/platform_renderer.hpp"
#include "renderer_fake_port.hpp"

namespace {
using namespace patchbay;
using namespace patchbay::render;
using namespace std::chrono_literals;
using namespace renderer_test;

TEST_F(RendererTest, FirstDeltaSendsPlaceholderWithTokenThenCoalescedEdits) {
  auto r = make(editing_caps());
  r->on_delta("Hel");
  r->on_delta("lo");
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_FALSE(port.pending[0].is_edit);
  EXPECT_EQ(port.pending[0].msg.text, "Hel");  // the first delta goes out at once
  EXPECT_EQ(port.pending[0].msg.reply_context, "TOKEN");
  EXPECT_EQ(port.pending[0].msg.reply_to_message_id, "in-msg-1");
  ASSERT_FALSE(port.persisted.empty());
  EXPECT_TRUE(port.persisted.back().reply_token_spent);  // recorded before the send completes
  port.ok("ph-1");
  EXPECT_EQ(r->record().placeholder_id, "ph-1");
  // Within the edit interval nothing is sent; the deltas pile up.
  EXPECT_TRUE(port.pending.empty());
  r->on_delta(" wor");
  r->on_delta("ld");
  EXPECT_TRUE(port.pending.empty());
  port.advance(999);
  EXPECT_TRUE(port.pending.empty());
  port.advance(1);
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_TRUE(port.pending[0].is_edit);
  EXPECT_EQ(port.pending[0].req.message_id, "ph-1");
  EXPECT_EQ(port.pending[0].req.text, "Hello world");  // coalesced into one edit
  port.ok();
  r->on_complete();
  // The placeholder already shows the exact full text: one final edit all the same (it closes
  // the stream), with that text.
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_EQ(port.pending[0].req.text, "Hello world");
  EXPECT_EQ(port.pending[0].req.flags, PB_EDIT_FINAL);
  port.ok();
  EXPECT_EQ(outcome, turn_outcome::complete);
  EXPECT_EQ(port.history.size(), 3u);
}

TEST_F(RendererTest, CompletionDoesOneFinalEditWithTheExactText) {
  auto r = make(editing_caps());
  r->on_delta("a");
  port.ok();
  r->on_delta("b");
  r->on_delta("c");
  r->on_complete();  // before the interval: the final edit goes at once
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_EQ(port.pending[0].req.text, "abc");
  EXPECT_FALSE(outcome);
  port.ok();
  EXPECT_EQ(outcome, turn_outcome::complete);
  EXPECT_EQ(r->record().flushed_text, "abc");
}

TEST_F(RendererTest, TerminalStateIsPersistedBeforeTheFinalOperation) {
  auto r = make(editing_caps());
  r->on_delta("x");
  port.ok();
  r->on_delta("y");
  size_t before = port.persisted.size();
  r->on_complete();
  ASSERT_GT(port.persisted.size(), before);
  EXPECT_TRUE(port.persisted[before].terminal);
  EXPECT_EQ(port.persisted[before].outcome, "complete");
  EXPECT_EQ(port.pending.size(), 1u);  // the final edit only starts after that
}

TEST_F(RendererTest, LongAnswerIsChunkedPartOneInThePlaceholder) {
  auto r = make(editing_caps(120));
  std::string text;
  for (int i = 0; i < 12; ++i) text += "paragraph number " + std::to_string(i) + "\n\n";
  r->on_delta(text.substr(0, 10));
  port.ok("ph");
  r->on_delta(text.substr(10));
  r->on_complete();
  port.drain();
  EXPECT_EQ(outcome, turn_outcome::complete);
  std::vector<std::string> rendered;
  ASSERT_GE(port.history.size(), 3u);
  EXPECT_TRUE(port.history[1].is_edit);  // part 1 → the placeholder
  rendered.push_back(port.history[1].req.text);
  for (size_t i = 2; i < port.history.size(); ++i) {
    EXPECT_FALSE(port.history[i].is_edit);
    EXPECT_EQ(port.history[i].msg.reply_context, "") << "a spent single-use token was reused";
    rendered.push_back(port.history[i].msg.text);
  }
  for (auto& p : rendered) EXPECT_LE(render::measure(p, PB_UNIT_CODEPOINTS), 120u) << p;
  EXPECT_EQ(render::strip_markers(rendered).value_or("<markers broken>"), text);
}

TEST_F(RendererTest, ErrorAfterPlaceholderEditsItAndNeverReusesTheToken) {
  auto r = make(editing_caps());
  r->on_delta("partial answer");
  port.ok("ph");
  r->on_error("The model is overloaded.");
  ASSERT_EQ(port.pending.size(), 1u);
  ASSERT_TRUE(port.pending[0].is_edit);
  EXPECT_EQ(port.pending[0].req.message_id, "ph");
  EXPECT_NE(port.pending[0].req.text.find("partial answer"), std::string::npos);
  EXPECT_NE(port.pending[0].req.text.find("The model is overloaded."), std::string::npos);
  port.ok();
  EXPECT_EQ(outcome, turn_outcome::error);
  EXPECT_EQ(port.history.size(), 2u);
}

TEST_F(RendererTest, FailedErrorEditLeavesTheLastFlushedTextStanding) {
  auto r = make(editing_caps());
  r->on_delta("partial");
  port.ok("ph");
  r->on_error("boom");
  port.fail(PB_ERR_REJECTED, "edit window exceeded");
  EXPECT_EQ(outcome, turn_outcome::error);
  EXPECT_TRUE(port.pending.empty());  // no new reply, no retry with the spent token
  EXPECT_EQ(r->record().flushed_text, "partial");
  EXPECT_TRUE(r->record().terminal);
  bool logged = false;
  for (auto& [l, t] : port.logs) logged |= t.find("last flushed text stands") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST_F(RendererTest, ErrorBeforeAnyTextSendsTheNoticeWithTheToken) {
  auto r = make(editing_caps());
  r->on_error("Agent unavailable.");
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_FALSE(port.pending[0].is_edit);
  EXPECT_NE(port.pending[0].msg.text.find("Agent unavailable."), std::string::npos);
  EXPECT_EQ(port.pending[0].msg.reply_context, "TOKEN");
  port.ok();
  EXPECT_EQ(outcome, turn_outcome::error);
}

TEST_F(RendererTest, NoEditChannelBuffersAndSendsOnceChunked) {
  effective_caps c;
  c.limit = 90;
  c.unit = PB_UNIT_BYTES;
  c.reply_token = PB_REPLY_TOKEN_REUSABLE;
  auto r = make(c);
  std::string text;
  for (int i = 0; i < 4; ++i)
    text += "one two three four five six seven eight nine ten eleven twelve ";
  for (size_t i = 0; i < text.size(); i += 7) r->on_delta(text.substr(i, 7));
  EXPECT_TRUE(port.pending.empty());
  r->on_complete();
  std::vector<std::string> parts;
  while (!port.pending.empty()) {
    EXPECT_FALSE(port.pending.front().is_edit);
    EXPECT_EQ(port.pending.front().msg.reply_context, "TOKEN");  // reusable: every send has it
    parts.push_back(port.pending.front().msg.text);
    EXPECT_EQ(port.pending.size(), 1u);  // in order, one at a time
    port.ok();
  }
  ASSERT_GT(parts.size(), 1u);
  for (auto& p : parts) EXPECT_LE(p.size(), 90u);
  EXPECT_EQ(render::strip_markers(parts).value_or("<markers broken>"), text);
  EXPECT_EQ(outcome, turn_outcome::complete);
}

TEST_F(RendererTest, RateLimitedWaitsRetryAfterAndRetriesWithoutSpentToken) {
  auto r = make(editing_caps());
  r->on_delta("hi");
  port.fail(PB_ERR_RATE_LIMITED, "slow down", 3000);
  EXPECT_TRUE(port.pending.empty());
  port.advance(2999);
  EXPECT_TRUE(port.pending.empty());
  port.advance(1);
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_EQ(port.pending[0].msg.reply_context, "");  // the first attempt spent it
  port.ok("ph");
  r->on_complete();
  port.ok();  // the final edit
  EXPECT_EQ(outcome, turn_outcome::complete);
}

TEST_F(RendererTest, RetryableBacksOffBoundedThenLogsUndeliverable) {
  effective_caps c;  // no edit: one send at the end
  c.reply_token = PB_REPLY_TOKEN_NONE;
  retry_policy rp;
  rp.max_attempts = 3;
  auto r = make(c, rp);
  r->on_delta("text");
  r->on_complete();
  port.fail(PB_ERR_RETRYABLE);
  port.advance(374);  // 500 ms * (0.5 + 0.5 * 0.5) = 375 ms
  EXPECT_TRUE(port.pending.empty());
  port.advance(1);
  port.fail(PB_ERR_RETRYABLE);
  port.advance(750);  // doubled
  port.fail(PB_ERR_RETRYABLE);
  EXPECT_TRUE(port.pending.empty());
  EXPECT_EQ(port.history.size(), 3u);
  EXPECT_EQ(outcome, turn_outcome::complete);
  bool logged = false;
  for (auto& [l, t] : port.logs)
    logged |= l == log_level::error && t.find("undeliverable") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST_F(RendererTest, AuthAndRejectedAreNotRetried) {
  effective_caps c;
  auto r = make(c);
  r->on_content("notice", false);
  port.fail(PB_ERR_AUTH, "token revoked");
  port.advance(100000);
  EXPECT_EQ(port.history.size(), 1u);
}

TEST_F(RendererTest, TokenUsedIsRetriedOnceWithoutTheToken) {
  auto r = make(editing_caps());
  r->on_delta("hi");
  EXPECT_EQ(port.pending[0].msg.reply_context, "TOKEN");
  port.fail(PB_ERR_TOKEN_USED, "Reply token already used");
  port.advance(0);  // retried at once (a zero-delay timer), without the token
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_EQ(port.pending[0].msg.reply_context, "");
  port.fail(PB_ERR_TOKEN_USED, "again");
  EXPECT_TRUE(port.pending.empty());  // not a third time
  r->on_complete();
  // No placeholder: the answer is sent as a new message, still without the token.
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_EQ(port.pending[0].msg.reply_context, "");
}

TEST_F(RendererTest, ContentIsItsOwnMessageEphemeralWhereSupported) {
  effective_caps c = editing_caps();
  c.can_ephemeral = true;
  auto r = make(c);
  r->on_content("plain notice", false);
  r->on_content("just for you", true);
  port.ok();
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_EQ(port.pending[0].msg.flags, PB_SEND_EPHEMERAL);
  EXPECT_EQ(port.pending[0].msg.recipient_id, "user-1");
  port.ok();
  EXPECT_EQ(port.history[0].msg.text, "plain notice");
  EXPECT_EQ(port.history[0].msg.flags, 0u);

  fake_port p2;
  platform_renderer plain(target(), editing_caps(), p2, [](turn_outcome) {});
  plain.on_content("just for you", true);  // the channel cannot: plain content
  ASSERT_EQ(p2.pending.size(), 1u);
  EXPECT_EQ(p2.pending[0].msg.flags, 0u);
}

TEST_F(RendererTest, EditUnsupportedMidStreamSendsTheRestAsOneMessage) {
  auto r = make(editing_caps());
  r->on_delta("first ");
  port.ok("ph");
  r->on_delta("second");
  port.advance(1000);
  port.fail(PB_ERR_UNSUPPORTED, "edit_unsupported");
  r->on_delta(" third");
  port.advance(5000);
  EXPECT_TRUE(port.pending.empty());  // no more edits
  r->on_complete();
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_FALSE(port.pending[0].is_edit);
  EXPECT_EQ(port.pending[0].msg.text, "second third");
  port.ok();
  EXPECT_EQ(outcome, turn_outcome::complete);
}

TEST_F(RendererTest, EditBudgetKeepsOneForTheFinalEdit) {
  effective_caps c = editing_caps();
  c.max_edits = 3;
  auto r = make(c);
  r->on_delta("0");
  port.ok("ph");
  for (int i = 1; i <= 10; ++i) {
    r->on_delta(std::to_string(i));
    port.advance(1000);
    if (!port.pending.empty()) port.ok();
  }
  int edits = 0;
  for (auto& h : port.history) edits += h.is_edit;
  EXPECT_EQ(edits, 2);
  r->on_complete();
  port.drain();
  edits = 0;
  for (auto& h : port.history) edits += h.is_edit;
  EXPECT_EQ(edits, 3);
  EXPECT_EQ(port.history.back().req.text, "012345678910");
}

TEST_F(RendererTest, SecondTerminalIsIgnored) {
  auto r = make(editing_caps());
  r->on_error("first");
  port.drain();
  r->on_complete();
  r->on_error("second");
  r->on_delta("late");
  EXPECT_TRUE(port.pending.empty());
  EXPECT_EQ(outcome, turn_outcome::error);
  EXPECT_EQ(r->record().outcome, "error");
}

}  // namespace

// The durable outbound queue is told what each op is for (a resumed placeholder names the message
// a cut turn's notice edits after a restart).
TEST(RendererKinds, EachOperationIsTaggedWithWhatItIsFor) {
  fake_port port;
  platform_renderer r(target(), editing_caps(), port, nullptr);
  r.on_delta("Hello there");  // placeholder
  port.ok("ph");
  r.on_error("boom");  // the notice edits the placeholder
  port.drain();
  ASSERT_GE(port.kinds.size(), 2u);
  EXPECT_EQ(port.kinds.front(), op_kind::placeholder);
  EXPECT_EQ(port.kinds.back(), op_kind::notice);

  fake_port port2;
  platform_renderer r2(target(), editing_caps(60), port2, nullptr);
  r2.on_delta("start ");
  port2.ok("ph");
  r2.on_delta(std::string(100, 'a') + " " + std::string(100, 'b'));
  r2.on_complete();
  port2.drain();
  ASSERT_GE(port2.kinds.size(), 3u);
  EXPECT_EQ(port2.kinds[0], op_kind::placeholder);
  EXPECT_EQ(port2.kinds[1], op_kind::final_edit);
  EXPECT_EQ(port2.kinds[2], op_kind::send);  // part 2
}

// With a port that retries itself (the outbound worker), a failure reaching the renderer is final:
// no second attempt of its own, however retryable the class.
TEST(RendererKinds, PortRetriesMeansFailuresAreFinalHere) {
  fake_port port;
  retry_policy rp;
  rp.port_retries = true;
  effective_caps c;  // no edit: one send at the end
  c.reply_token = PB_REPLY_TOKEN_NONE;
  std::optional<turn_outcome> outcome;
  platform_renderer r(
      target(), c, port, [&](turn_outcome o) { outcome = o; }, rp);
  r.on_delta("text");
  r.on_complete();
  port.fail(PB_ERR_RATE_LIMITED, "slow", 1000);
  port.advance(60'000);
  EXPECT_TRUE(port.pending.empty());
  EXPECT_EQ(port.history.size(), 1u);
  EXPECT_EQ(outcome, turn_outcome::complete);
}

// A part the platform refuses for good (iLink: the context token's reply budget is spent) ends
// the answer's remaining parts with one log line, instead of one doomed send (and log) each.
TEST(RendererKinds, ARefusedPartEndsTheRemainingPartsOnce) {
  fake_port port;
  retry_policy rp;
  rp.port_retries = true;
  effective_caps c;  // no edit: the answer goes out chunked at the end
  c.limit = 120;
  c.unit = PB_UNIT_CODEPOINTS;
  c.reply_token = PB_REPLY_TOKEN_NONE;
  std::optional<turn_outcome> outcome;
  platform_renderer r(
      target(), c, port, [&](turn_outcome o) { outcome = o; }, rp);
  std::string answer;
  for (int i = 0; i < 12; ++i) answer += "paragraph number " + std::to_string(i) + "\n\n";
  r.on_delta(answer);
  r.on_complete();
  port.ok();                                   // part 1
  port.fail(PB_ERR_REJECTED, "budget spent");  // part 2
  EXPECT_TRUE(port.pending.empty());
  EXPECT_EQ(port.history.size(), 2u);
  EXPECT_EQ(outcome, turn_outcome::complete);
  size_t lines = 0;
  for (const auto& [level, text] : port.logs)
    if (text.find("undeliverable") != std::string::npos) {
      ++lines;
      EXPECT_NE(text.find("later part(s) of this answer are not sent"), std::string::npos) << text;
    }
  EXPECT_EQ(lines, 1u);
}
