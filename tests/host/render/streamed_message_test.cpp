// Streamed messages (ABI minor 3): the placeholder of a streamed answer is sent flagged
// PB_SEND_STREAM and gets exactly one PB_EDIT_FINAL edit, however the answer ends; notices and
// content are never streamed; an edit refused as "can no longer be updated" (a streaming card that
// ended) completes the answer as text exactly once, with only what the user has not seen.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "patchbay/pb_messages.h"
#include "render/chunker.hpp"
#include "render/platform_renderer.hpp"
#include "renderer_fake_port.hpp"

namespace {
using namespace patchbay;
using namespace patchbay::render;
using namespace renderer_test;

// Every edit flagged PB_EDIT_FINAL, and every send flagged PB_SEND_STREAM, in the history.
int final_edits(const fake_port& p) {
  int n = 0;
  for (const auto& c : p.history) n += c.is_edit && (c.req.flags & PB_EDIT_FINAL) != 0;
  return n;
}
int streamed_sends(const fake_port& p) {
  int n = 0;
  for (const auto& c : p.history) n += !c.is_edit && (c.msg.flags & PB_SEND_STREAM) != 0;
  return n;
}
TEST_F(RendererTest, ThePlaceholderIsStreamedAndEditsCarryNoFinalFlagUntilTheEnd) {
  auto r = make(editing_caps());
  r->on_delta("one");
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_EQ(port.pending[0].msg.flags, PB_SEND_STREAM);
  port.ok("ph");
  r->on_delta(" two");
  port.advance(1000);
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_EQ(port.pending[0].req.flags, 0u);  // a streaming edit
  port.ok();
  r->on_delta(" three");
  r->on_complete();
  port.drain();
  EXPECT_EQ(streamed_sends(port), 1);
  EXPECT_EQ(final_edits(port), 1);
  ASSERT_TRUE(port.history.back().is_edit);
  EXPECT_EQ(port.history.back().req.flags, PB_EDIT_FINAL);
  EXPECT_EQ(port.history.back().req.text, "one two three");
  EXPECT_EQ(outcome, turn_outcome::complete);
}

TEST_F(RendererTest, AnErrorOrStopNoticeIsTheOneFinalEdit) {
  for (const char* notice : {"The model is overloaded.", "Stopped."}) {  // /stop ends as an error
    fake_port p;
    platform_renderer r(target(), editing_caps(), p, nullptr);
    r.on_delta("partial");
    p.ok("ph");
    r.on_error(notice);
    p.drain();
    EXPECT_EQ(final_edits(p), 1) << notice;
    ASSERT_TRUE(p.history.back().is_edit);
    EXPECT_NE(p.history.back().req.text.find(notice), std::string::npos);
    EXPECT_NE(p.history.back().req.text.find("partial"), std::string::npos);
  }
}

TEST_F(RendererTest, AChunkedAnswerEndsThePlaceholderWithPartOnesFinalEdit) {
  auto r = make(editing_caps(120));
  std::string text;
  for (int i = 0; i < 12; ++i) text += "paragraph number " + std::to_string(i) + "\n\n";
  r->on_delta(text.substr(0, 10));
  port.ok("ph");
  r->on_delta(text.substr(10));
  r->on_complete();
  port.drain();
  EXPECT_EQ(final_edits(port), 1);
  EXPECT_EQ(streamed_sends(port), 1);  // later parts are plain messages
  ASSERT_TRUE(port.history[1].is_edit);
  EXPECT_EQ(port.history[1].req.flags, PB_EDIT_FINAL);
  for (size_t i = 2; i < port.history.size(); ++i) EXPECT_EQ(port.history[i].msg.flags, 0u);
}

TEST_F(RendererTest, ARecoveredTurnsNoticeIsFlaggedFinal) {
  auto r = make(editing_caps());
  turn_record rec;
  rec.placeholder_id = "ph";
  rec.flushed_text = "half an answer";
  r->resume(rec);
  r->on_error("The gateway restarted.");
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_EQ(port.pending[0].req.message_id, "ph");
  EXPECT_EQ(port.pending[0].req.flags, PB_EDIT_FINAL);
}

TEST_F(RendererTest, NoticesContentAndBufferedAnswersAreNotStreamed) {
  auto r = make(editing_caps());
  r->on_content("a content message", false);
  port.drain();
  r->on_error("Agent unavailable.");  // no text yet: the notice is a message of its own
  port.drain();
  EXPECT_EQ(streamed_sends(port), 0);
  EXPECT_EQ(final_edits(port), 0);

  fake_port p2;  // a channel that cannot edit sends the whole answer at the end
  effective_caps c;
  platform_renderer plain(target(), c, p2, nullptr);
  plain.on_delta("whole answer");
  plain.on_complete();
  p2.drain();
  ASSERT_EQ(p2.history.size(), 1u);
  EXPECT_EQ(p2.history[0].msg.flags, 0u);
}

TEST_F(RendererTest, ACardEndedMidStreamCompletesAsTextOnceWithOnlyTheUnseenText) {
  for (int32_t code : {PB_ERR_UNSUPPORTED, PB_ERR_NOT_FOUND}) {
    fake_port p;
    platform_renderer r(target(), editing_caps(), p, nullptr);
    r.on_delta("Hello ");
    p.ok("ph");
    r.on_delta("streaming ");
    p.advance(1000);
    p.ok();  // the card shows "Hello streaming "
    r.on_delta("world");
    p.advance(1000);
    p.fail(code, "card streaming ended");  // refused: the card still shows "Hello streaming "
    r.on_delta(", again");
    p.advance(5000);
    EXPECT_TRUE(p.pending.empty()) << "no edit after the card ended";
    r.on_complete();
    p.drain();
    EXPECT_EQ(final_edits(p), 0) << "the plugin closed the card when it refused the edit";
    ASSERT_FALSE(p.history.back().is_edit);
    EXPECT_EQ(p.history.back().msg.text, "world, again");
    EXPECT_EQ(p.history.back().msg.flags, 0u);
    // The card shows "Hello streaming " (its last accepted text): with the new message the user
    // reads the whole answer once, nothing twice.
    EXPECT_EQ(p.history.size(), 4u);  // placeholder, edit, refused edit, the rest
  }
}

TEST_F(RendererTest, ARefusedFinalEditSendsTheUnseenRestOnceEvenWhenChunked) {
  auto r = make(editing_caps(120));
  std::string text;
  for (int i = 0; i < 12; ++i) text += "paragraph number " + std::to_string(i) + "\n\n";
  r->on_delta(text.substr(0, 10));
  port.ok("ph");  // the card shows the first 10 bytes
  r->on_delta(text.substr(10));
  r->on_complete();
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_EQ(port.pending[0].req.flags, PB_EDIT_FINAL);
  port.fail(PB_ERR_UNSUPPORTED, "card streaming ended");
  port.drain();
  std::vector<std::string> rest;
  for (size_t i = 2; i < port.history.size(); ++i) {
    ASSERT_FALSE(port.history[i].is_edit);
    rest.push_back(port.history[i].msg.text);
  }
  // The later parts planned before the refusal are replaced, not sent besides the remainder.
  EXPECT_EQ(text.substr(0, 10) + render::strip_markers(rest).value_or("<markers broken>"), text);
  EXPECT_EQ(outcome, turn_outcome::complete);
}

TEST_F(RendererTest, ARefusedErrorEditSendsTheUnseenTextAndTheNoticeOnce) {
  auto r = make(editing_caps());
  r->on_delta("shown ");
  port.ok("ph");
  r->on_delta("unseen");
  r->on_error("boom");
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_EQ(port.pending[0].req.flags, PB_EDIT_FINAL);
  port.fail(PB_ERR_UNSUPPORTED, "card streaming ended");
  ASSERT_EQ(port.pending.size(), 1u);
  EXPECT_FALSE(port.pending[0].is_edit);
  EXPECT_EQ(port.pending[0].msg.text.rfind("unseen\n\n", 0), 0u) << port.pending[0].msg.text;
  EXPECT_NE(port.pending[0].msg.text.find("boom"), std::string::npos);
  EXPECT_EQ(port.pending[0].msg.text.find("shown"), std::string::npos);
  port.ok();
  EXPECT_TRUE(port.pending.empty());
  EXPECT_EQ(outcome, turn_outcome::error);
}

}  // namespace
