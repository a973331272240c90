// The plan a terminal turn still has to deliver (render/pending_plan.hpp): its JSON form, what
// the renderer reports at each step (platform_renderer::pending_json), and a second renderer
// that continues it after a "restart" (restore) sending exactly what the first would have sent.
#include "render/pending_plan.hpp"

#include <gtest/gtest.h>

#include "render/chunker.hpp"
#include "renderer_fake_port.hpp"

namespace {
using namespace renderer_test;

std::string long_text() {
  std::string text;
  for (int i = 0; i < 12; ++i) text += "paragraph number " + std::to_string(i) + "\n\n";
  return text;
}

std::vector<std::string> texts(const std::vector<call>& calls, size_t from = 0) {
  std::vector<std::string> out;
  for (size_t i = from; i < calls.size(); ++i) out.push_back(calls[i].text());
  return out;
}

TEST(PendingPlan, RoundTripsAndRefusesWhatItDidNotWrite) {
  pending_plan p;
  p.error = true;
  p.error_text = "agent failed";
  p.text = "hello \xE2\x9A\xA0";
  p.shown = 3;
  p.editing = true;
  p.final_planned = true;
  p.sends_planned = 4;
  p.edits_used = 2;
  p.ops.push_back(planned_op{4, "part two", 0, "", std::nullopt});
  p.ops.push_back(planned_op{5, "just for you", 2, "user-1", std::nullopt});
  p.ops.push_back(planned_op{
      6, "", 0, "", messages::attachment_spec{"file", "a.txt", "text/plain", "", "", "aGk=", "c"}});
  std::string err;
  auto back = pending_plan_from_json(to_json(p), &err);
  ASSERT_TRUE(back) << err;
  EXPECT_EQ(to_json(*back), to_json(p));
  EXPECT_EQ(back->ops[1].recipient, "user-1");
  ASSERT_TRUE(back->ops[2].file);
  EXPECT_EQ(back->ops[2].file->data_base64, "aGk=");
  EXPECT_EQ(back->ops[2].file->caption, "c");

  for (const char* bad : {"", "[]", "{}", R"({"v":2})", "not json",
                          R"({"v":1,"error":false,"error_text":"","text":"","shown":0,)"
                          R"("editing":false,"final_planned":true,"sends_planned":0,)"
                          R"("edits_used":0,"ops":[{"role":-1,"text":"","flags":0}]})"}) {
    err.clear();
    EXPECT_FALSE(pending_plan_from_json(bad, &err)) << bad;
    EXPECT_FALSE(err.empty()) << bad;
  }
}

TEST_F(RendererTest, NoPlanBeforeTheTurnIsTerminalNorOnceItFinished) {
  auto r = make(editing_caps());
  r->on_delta("Hello");
  EXPECT_EQ(r->pending_json(false), "");
  port.ok("ph");
  r->on_complete();
  ASSERT_EQ(port.pending.size(), 1u);  // the final edit, handed to the port
  EXPECT_EQ(r->pending_json(false), "") << "nothing is left after the final edit";
  port.drain();
  EXPECT_TRUE(r->finished());
  EXPECT_EQ(r->pending_json(true), "");
}

// Killed while the final edit (part 1) waits: the plan holds parts 2..N; a new renderer restored
// from it sends them, the same texts in the same order, and ends the turn.
TEST_F(RendererTest, APlanLeftAfterTheFinalEditIsContinuedByARestoredRenderer) {
  const std::string text = long_text();
  // What an uninterrupted renderer sends.
  std::vector<std::string> whole;
  {
    fake_port p2;
    platform_renderer ref(target(), editing_caps(120), p2, nullptr);
    ref.on_delta(text.substr(0, 10));
    p2.ok("ph");
    ref.on_delta(text.substr(10));
    ref.on_complete();
    p2.drain();
    whole = texts(p2.history);
  }
  ASSERT_GE(whole.size(), 4u);

  auto r = make(editing_caps(120));
  r->on_delta(text.substr(0, 10));
  port.ok("ph");
  r->on_delta(text.substr(10));
  r->on_complete();
  ASSERT_EQ(port.pending.size(), 1u);
  ASSERT_TRUE(port.pending[0].is_edit);  // the final edit
  const std::string json = r->pending_json(false);
  std::string err;
  auto plan = pending_plan_from_json(json, &err);
  ASSERT_TRUE(plan) << err << json;
  EXPECT_TRUE(plan->final_planned);
  EXPECT_EQ(plan->ops.size(), whole.size() - 2);  // all parts after part 1
  EXPECT_EQ(plan->text, "") << "no step left reads the whole answer";

  // The restart: the final edit is resumed by the queue; a new renderer continues the plan.
  fake_port after;
  std::optional<turn_outcome> ended;
  platform_renderer again(target(), editing_caps(120), after, [&](turn_outcome o) { ended = o; });
  turn_record rec;
  rec.placeholder_id = "ph";
  rec.reply_token_spent = true;
  ASSERT_TRUE(again.restore(rec, *plan));
  after.drain();
  EXPECT_EQ(ended, turn_outcome::complete);
  EXPECT_EQ(texts(after.history),
            std::vector<std::string>(whole.begin() + 2, whole.end()));  // parts 2..N, once
  for (const auto& c : after.history) {
    EXPECT_FALSE(c.is_edit);
    EXPECT_EQ(c.msg.reply_context, "") << "a spent token is never reused";
  }
}

// Terminal while an earlier message is in flight on a channel that cannot edit: the final plan
// is not made yet, so the plan carries the answer itself; the restored renderer sends it.
TEST_F(RendererTest, APlanMadeBeforeTheFinalPlanCarriesTheAnswer) {
  effective_caps caps;  // no edits: the answer is buffered and sent at the end
  caps.limit = 0;
  auto r = make(caps);
  r->on_content("a note first", false);
  r->on_delta("the answer");
  r->on_complete();
  ASSERT_EQ(port.pending.size(), 1u);  // the note, in flight
  auto plan = pending_plan_from_json(r->pending_json(false), nullptr);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(plan->final_planned);
  EXPECT_EQ(plan->text, "the answer");
  EXPECT_TRUE(plan->ops.empty());

  fake_port after;
  platform_renderer again(target(), caps, after, nullptr);
  ASSERT_TRUE(again.restore(turn_record{}, *plan));
  after.drain();
  EXPECT_EQ(texts(after.history), std::vector<std::string>{"the answer"});
  EXPECT_TRUE(again.finished());
}

TEST_F(RendererTest, AnUnknownOperationInAPlanIsRefusedAndNothingIsSent) {
  pending_plan p;
  p.final_planned = true;
  p.ops.push_back(planned_op{42, "?", 0, "", std::nullopt});
  auto r = make(editing_caps());
  EXPECT_FALSE(r->restore(turn_record{}, p));
  p.ops[0] = planned_op{6, "", 0, "", std::nullopt};  // an attachment without its file
  EXPECT_FALSE(r->restore(turn_record{}, p));
  EXPECT_TRUE(port.history.empty());
}

}  // namespace
