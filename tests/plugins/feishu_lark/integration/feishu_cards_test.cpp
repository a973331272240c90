// Streaming cards (render: card, the default) end to end: the real feishu plugin .so in a real
// `patchbay run` with the echo agent, against the fake's CardKit endpoints, whose record of every
// card (text history with times, final state) and message rebuilds what the user saw.
#include "fake_feishu.hpp"
#include "host_fixture.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;

std::string answer_text(int words) {
  std::string text;
  for (int i = 0; i < words; ++i) text += "word" + std::to_string(i) + " ";
  text += "你好";
  return text;
}

// The bot's reply that shows a card, and its text messages, once the card is closed and the
// card's text plus the text messages make `want` (or the wait runs out).
struct seen_answer {
  json::object card;               // the fake's card record ({} if none)
  std::string card_message;        // its IM message id
  std::vector<std::string> texts;  // text messages replying to the same message, in order
  std::string all() const {
    std::string s = str(card, "text");
    for (const auto& t : texts) s += t;
    return s;
  }
};
seen_answer answer_to(const fake_feishu& fake, const std::string& mid) {
  seen_answer a;
  for (const auto& m : fake.bot_messages(mid)) {
    if (str(m, "msg_type") == "interactive" && !str(m, "card_id").empty()) {
      a.card = fake.card(str(m, "card_id"));
      a.card_message = str(m, "message_id");
    } else {
      a.texts.push_back(str(m, "text"));
    }
  }
  return a;
}
bool finished(const fake_feishu& fake, const std::string& mid, const std::string& want,
              seen_answer& out) {
  return wait_for(
      [&] {
        out = answer_to(fake, mid);
        return !out.card.empty() && !out.card.at("streaming").as_bool() && out.all() == want;
      },
      30);
}
std::string describe(const fake_feishu& fake, const std::string& mid) {
  std::string d;
  for (const auto& m : fake.bot_messages(mid)) d += json::serialize(m) + "\n";
  for (const auto& c : fake.cards()) d += json::serialize(c) + "\n";
  return d;
}

TEST(FeishuCards, AStreamedAnswerIsOneCardThatGrowsAndEndsClosedWithTheAnswer) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 echo_agent(12, 150));
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  const std::string text = answer_text(30);
  auto in = fake.inject_text(text);
  const std::string mid = str(in, "message_id");
  seen_answer a;
  ASSERT_TRUE(finished(fake, mid, text, a)) << describe(fake, mid) << h.logs();
  EXPECT_TRUE(a.texts.empty()) << "no text message besides the card";
  ASSERT_EQ(fake.bot_messages(mid).size(), 1u);
  EXPECT_EQ(str(a.card, "text"), text);
  EXPECT_EQ(str(a.card, "message_id"), a.card_message);  // the host got the IM message id
  EXPECT_FALSE(str(a.card, "summary").empty());
  EXPECT_EQ(text.rfind(str(a.card, "summary").substr(0, 20), 0), 0u) << str(a.card, "summary");
  // The text grew: every update extends the one before, and more than one was made.
  std::string prev;
  int contents = 0;
  int64_t last_seq = 0;
  bool closed_last = false;
  for (const auto& u : a.card.at("history").as_array()) {
    EXPECT_GT(num(u, "sequence"), last_seq);
    last_seq = num(u, "sequence");
    closed_last = str(u, "what") == "settings";
    if (str(u, "what") != "content") continue;
    ++contents;
    EXPECT_EQ(str(u, "text").rfind(prev, 0), 0u) << "shrank: " << str(u, "text");
    prev = str(u, "text");
  }
  EXPECT_GE(contents, 1);
  EXPECT_TRUE(closed_last) << "the last update closes the card";
}

// A card that fails mid-stream with each terminal code completes as text exactly once: the card
// shows a prefix, one text message the rest, nothing twice; the card ends closed.
TEST(FeishuCards, ACardFailingMidStreamCompletesAsTextExactlyOnce) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 echo_agent(8, 150));
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  for (int64_t code : {200850, 300309, 230031, 230011}) {
    SCOPED_TRACE(code);
    fake.fault(json::object{{"kind", "card_error"}, {"code", code}, {"count", 1}});
    const std::string text = answer_text(24) + " " + std::to_string(code);
    auto in = fake.inject_text(text, json::object{{"chat_id", "oc_c" + std::to_string(code)}});
    const std::string mid = str(in, "message_id");
    seen_answer a;
    ASSERT_TRUE(finished(fake, mid, text, a)) << describe(fake, mid) << h.logs();
    ASSERT_EQ(a.texts.size(), 1u) << describe(fake, mid);
    EXPECT_FALSE(str(a.card, "text").empty());
    EXPECT_EQ(str(a.card, "text") + a.texts[0], text);  // the card's text + the rest, no duplicate
    EXPECT_FALSE(a.card.at("streaming").as_bool());
    std::this_thread::sleep_for(300ms);  // nothing more arrives
    EXPECT_EQ(fake.bot_messages(mid).size(), 2u);
  }
}

TEST(FeishuCards, ASequenceConflictIsResyncedAndTheCardCarriesOn) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 echo_agent(8, 150));
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  fake.fault(json::object{{"kind", "card_error"}, {"code", 300317}, {"count", 1}});
  const std::string text = answer_text(20);
  auto in = fake.inject_text(text);
  const std::string mid = str(in, "message_id");
  seen_answer a;
  ASSERT_TRUE(finished(fake, mid, text, a)) << describe(fake, mid) << h.logs();
  EXPECT_TRUE(a.texts.empty());
  EXPECT_EQ(str(a.card, "text"), text);
  int conflicts = 0;
  for (const auto& r : fake.requests_to("/content")) conflicts += num(r, "code") == 300317;
  EXPECT_EQ(conflicts, 1);
}

// 200 deltas: the card's updates stay within 10 per second (from the fake's record of when each
// was accepted — a property of the history, not a timing assertion) and none was refused.
TEST(FeishuCards, TwoHundredDeltasStayWithinThePerCardRate) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 echo_agent(200, 10));
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  const std::string text = answer_text(200);
  auto in = fake.inject_text(text);
  const std::string mid = str(in, "message_id");
  seen_answer a;
  ASSERT_TRUE(finished(fake, mid, text, a)) << describe(fake, mid) << h.logs();
  std::vector<int64_t> times;
  for (const auto& u : a.card.at("history").as_array()) times.push_back(num(u, "time_ms"));
  ASSERT_FALSE(times.empty());
  for (size_t i = 0; i < times.size(); ++i) {
    size_t in_window = 0;
    for (size_t j = i; j < times.size() && times[j] < times[i] + 1000; ++j) ++in_window;
    EXPECT_LE(in_window, 10u) << "updates within a second from " << times[i];
  }
  for (const auto& r : fake.requests())
    if (str(r, "path").find("/open-apis/cardkit/") == 0) EXPECT_NE(num(r, "code"), 230020);
}

// The platform ends streaming mode on its own (scaled down here): the answer completes as text.
TEST(FeishuCards, TheStreamingTimeoutCompletesTheAnswerAsText) {
  fake_feishu fake;
  fake.config(json::object{{"card_streaming_timeout_ms", 1200}});
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 echo_agent(10, 400));
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  const std::string text = answer_text(20);
  auto in = fake.inject_text(text);
  const std::string mid = str(in, "message_id");
  seen_answer a;
  ASSERT_TRUE(finished(fake, mid, text, a)) << describe(fake, mid) << h.logs();
  ASSERT_EQ(a.texts.size(), 1u) << describe(fake, mid);
  EXPECT_TRUE(a.card.at("timed_out").as_bool());
  bool told = false;
  for (const auto& r : fake.requests_to("/content")) told |= num(r, "code") == 200850;
  EXPECT_TRUE(told);
}

// An error after the answer started renders into the card: the card ends closed, showing what was
// streamed followed by the notice; no text message besides it.
TEST(FeishuCards, AnErrorEndsTheCardWithTheNoticeInsideItAndClosesIt) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 "  echo: { type: echo, chunks: 4, delay_ms: 100, fail_prefix: \"FAIL\" }\n");
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  auto in = fake.inject_text("FAIL " + answer_text(20));
  const std::string mid = str(in, "message_id");
  const std::string notice = "The echo agent was told to fail";
  seen_answer a;
  ASSERT_TRUE(wait_for(
      [&] {
        a = answer_to(fake, mid);
        return !a.card.empty() && !a.card.at("streaming").as_bool() &&
               str(a.card, "text").find(notice) != std::string::npos;
      },
      30))
      << describe(fake, mid) << h.logs();
  const std::string shown = str(a.card, "text");
  EXPECT_EQ(shown.rfind("FAIL word0", 0), 0u) << shown;  // what streamed, then the notice
  EXPECT_NE(shown.find("\xE2\x9A\xA0"), std::string::npos) << shown;
  EXPECT_TRUE(a.texts.empty()) << describe(fake, mid);
  std::this_thread::sleep_for(300ms);  // nothing more arrives
  EXPECT_EQ(fake.bot_messages(mid).size(), 1u) << describe(fake, mid);
}

}  // namespace
