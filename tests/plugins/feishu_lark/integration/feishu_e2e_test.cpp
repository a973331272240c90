// The real feishu and lark plugin .so files in a real `patchbay run`, against the fake Feishu/Lark
// server over TLS, with the echo agent: with `render: text` a message is answered with a streamed
// text reply whose edits stay within the platform's edit budget (cards: feishu_cards_test.cpp); a
// long answer is chunked within the limit; duplicate and re-pushed events are answered once; group
// messages only when the bot is mentioned; webhook mode (challenge, encrypted and signed events,
// forgeries refused); both plugins side by side.
#include <signal.h>

#include "fake_feishu.hpp"
#include "host_fixture.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;

// The final text of the bot's reply to `message_id` once it equals `want` (the stream finished).
bool answered_with(const fake_feishu& fake, const std::string& message_id,
                   const std::string& want) {
  return wait_for([&] {
    for (const auto& m : fake.bot_messages(message_id))
      if (str(m, "text") == want) return true;
    return false;
  });
}

TEST(FeishuE2E, MessageIsAnsweredWithStreamedEditsWithinTheBudget) {
  fake_feishu fake;
  ASSERT_FALSE(fake.apps.empty()) << fake.logs();
  host_fixture h(
      channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket", "      render: text\n"),
      echo_agent(16, 150));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();

  const std::string text =
      "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
      "fifteen sixteen seventeen eighteen 你好";
  auto in = fake.inject_text(text);
  const std::string mid = str(in, "message_id");
  ASSERT_FALSE(mid.empty());
  ASSERT_TRUE(answered_with(fake, mid, text)) << h.logs() << fake.logs();
  auto replies = fake.bot_messages(mid);
  ASSERT_EQ(replies.size(), 1u);                   // one message, streamed by edits
  EXPECT_EQ(str(replies[0], "msg_type"), "text");  // render: text keeps the edit path
  EXPECT_TRUE(fake.cards().empty());
  const int64_t edits = num(replies[0], "edits");
  EXPECT_GE(edits, 1);
  EXPECT_LE(edits, 20);
  EXPECT_FALSE(str(replies[0], "uuid").empty());
  // The event was acked with code 200 (after it was durable in the host).
  EXPECT_TRUE(wait_for([&] { return fake.acked_ok(str(in, "event_id")); }));
  // Nothing secret in the host's log.
  EXPECT_EQ(h.logs().find(fake.apps[0].app_secret), std::string::npos);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(FeishuE2E, ManyDeltasStillStayWithinTheEditBudget) {
  fake_feishu fake;
  host_fixture h(
      channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket", "      render: text\n"),
      echo_agent(200, 40));  // ~8 s of deltas, far more than 20 edits' worth
  ASSERT_TRUE(connected(h, "fs")) << h.logs();
  std::string text;
  for (int i = 0; i < 200; ++i) text += "w" + std::to_string(i) + " ";
  text.pop_back();
  auto in = fake.inject_text(text);
  const std::string mid = str(in, "message_id");
  ASSERT_TRUE(answered_with(fake, mid, text)) << h.logs();
  auto replies = fake.bot_messages(mid);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_LE(num(replies[0], "edits"), 20);
  EXPECT_GE(num(replies[0], "edits"), 2);  // it did stream
}

TEST(FeishuE2E, LongAnswerIsChunkedWithinTheLimit) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 echo_agent(4, 20));
  ASSERT_TRUE(connected(h, "fs")) << h.logs();
  std::string text;
  while (codepoints(text) < 70000) text += "段落 paragraph \"quoted\" line\\n ";
  auto in = fake.inject_text(text, json::object{{"fragments", 3}});
  const std::string chat = str(in, "chat_id");
  ASSERT_TRUE(wait_for(
      [&] {
        std::string all;
        for (const auto& m : fake.bot_messages("", chat)) all += str(m, "text");
        return squeeze(all) == squeeze(text);
      },
      40))
      <<
      [&] {
        std::string d;
        for (const auto& m : fake.bot_messages("", chat))
          d += str(m, "message_id") + " " + std::to_string(codepoints(str(m, "text"))) +
               " codepoints, edits " + std::to_string(num(m, "edits")) + ": " +
               str(m, "text").substr(0, 80) + "\n";
        return d;
      }()
      << h.logs();
  auto parts = fake.bot_messages("", chat);
  EXPECT_GE(parts.size(), 3u);
  for (const auto& m : parts) EXPECT_LE(codepoints(str(m, "text")), 30000u);
  // No send or edit was refused by the platform (230025 would mean a body over the limit).
  for (const auto& r : fake.requests())
    if (str(r, "path").find("/open-apis/im/v1/messages") == 0) {
      EXPECT_EQ(num(r, "code"), 0) << json::serialize(r);
    }
}

TEST(FeishuE2E, DuplicateAndRepushedEventsAreAnsweredOnce) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 echo_agent(1, 0));
  ASSERT_TRUE(connected(h, "fs")) << h.logs();
  // Delivered again after a successful ack (at-least-once), same ids.
  auto dup = fake.inject_text("duplicate me", json::object{{"duplicate", true}});
  // A re-push: the same event id and message id injected a second time.
  auto first = fake.inject_text("repushed");
  ASSERT_TRUE(answered_with(fake, str(first, "message_id"), "repushed")) << h.logs();
  fake.inject_text("repushed", json::object{{"event_id", str(first, "event_id")},
                                            {"message_id", str(first, "message_id")}});
  // Both pushes of that event were acked (the fake keeps one record per push).
  ASSERT_TRUE(wait_for([&] {
    size_t pushes = 0, acked = 0;
    for (const auto& e : fake.events())
      if (str(e, "event_id") == str(first, "event_id")) {
        ++pushes;
        if (e.at("acked").as_bool() && num(e, "ack_code") == 200) ++acked;
      }
    return pushes == 2 && acked == 2;
  })) << fake.logs();
  ASSERT_TRUE(wait_for([&] {
    auto e = fake.event(str(dup, "event_id"));
    return e.is_object() && e.at("deliveries").as_array().size() >= 2;
  }));
  // Both were acked (a duplicate is acked, never left to be re-pushed again) …
  EXPECT_TRUE(wait_for([&] { return fake.acked_ok(str(dup, "event_id")); }));
  // … and answered exactly once.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(fake.bot_messages(str(dup, "message_id")).size(), 1u);
  EXPECT_EQ(fake.bot_messages(str(first, "message_id")).size(), 1u);
}

// A re-push under a new event id AND a new message id (same chat, sender, text and create time)
// is caught by the host's fallback dedup key: answered once. The same words sent again later (a
// new create time) are a new message and answered again.
TEST(FeishuE2E, RepushUnderNewEventAndMessageIdsIsAnsweredOnce) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 echo_agent(1, 0));
  ASSERT_TRUE(connected(h, "fs")) << h.logs();
  const int64_t t = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  json::object same{
      {"chat_id", "oc_repush"}, {"sender_open_id", "ou_repush"}, {"create_time_ms", t}};
  auto first = fake.inject_text("answer me once", same);
  ASSERT_TRUE(answered_with(fake, str(first, "message_id"), "answer me once")) << h.logs();
  auto again = fake.inject_text("answer me once", same);  // fresh event and message ids
  ASSERT_NE(str(again, "message_id"), str(first, "message_id"));
  EXPECT_TRUE(wait_for([&] { return fake.acked_ok(str(again, "event_id")); }));
  same["create_time_ms"] = t + 60'000;
  auto later = fake.inject_text("answer me once", same);
  ASSERT_TRUE(answered_with(fake, str(later, "message_id"), "answer me once")) << h.logs();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(fake.bot_messages("", "oc_repush").size(), 2u);
  EXPECT_TRUE(fake.bot_messages(str(again, "message_id")).empty());
  EXPECT_NE(h.logs().find("repeats message"), std::string::npos);
}

TEST(FeishuE2E, GroupMessagesAreAnsweredOnlyWhenTheBotIsMentioned) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 echo_agent(1, 0));
  ASSERT_TRUE(connected(h, "fs")) << h.logs();
  auto quiet = fake.inject_text("chatter among humans",
                                json::object{{"chat_type", "group"}, {"mention_bot", false}});
  auto asked = fake.inject_text("what time is it",
                                json::object{{"chat_type", "group"}, {"mention_bot", true}});
  ASSERT_TRUE(wait_for([&] { return !fake.bot_messages(str(asked, "message_id")).empty(); }))
      << h.logs();
  // The mention placeholder is resolved and the bot's own mention stripped from the text.
  EXPECT_EQ(str(fake.bot_messages(str(asked, "message_id"))[0], "text"), "what time is it");
  EXPECT_TRUE(wait_for([&] { return fake.acked_ok(str(quiet, "event_id")); }));
  EXPECT_TRUE(fake.bot_messages(str(quiet, "message_id")).empty());
}

TEST(FeishuE2E, WebhookModeAnswersChallengeAndEventsAndRefusesForgeries) {
  fake_feishu fake;
  // lark defaults to webhook mode; the fake speaks both brands' protocol.
  host_fixture h(channel_yaml("lk", PB_LARK_PLUGIN, fake, fake.apps[0], "webhook"),
                 echo_agent(1, 0));
  ASSERT_TRUE(connected(h, "lk")) << h.logs() << fake.logs();
  const std::string url = h.base + "/hooks/lk";

  auto ch = fake.webhook(json::object{{"url", url}, {"kind", "challenge"}});
  EXPECT_EQ(num(ch, "status"), 200) << json::serialize(ch);
  EXPECT_NE(str(ch, "body").find("challenge"), std::string::npos);

  auto ev = fake.webhook(json::object{
      {"url", url}, {"kind", "event"}, {"text", "over the webhook"}, {"chat_type", "p2p"}});
  EXPECT_EQ(num(ev, "status"), 200) << json::serialize(ev) << h.logs();
  ASSERT_TRUE(answered_with(fake, str(ev, "message_id"), "over the webhook")) << h.logs();

  for (const char* tamper : {"signature", "body", "timestamp_stale", "token", "unsigned"}) {
    auto bad = fake.webhook(json::object{{"url", url},
                                         {"kind", "event"},
                                         {"text", std::string("forged ") + tamper},
                                         {"tamper", tamper}});
    EXPECT_GE(num(bad, "status"), 400) << tamper << ": " << json::serialize(bad);
    EXPECT_LT(num(bad, "status"), 500) << tamper;
    EXPECT_TRUE(fake.bot_messages(str(bad, "message_id")).empty()) << tamper;
  }
  std::this_thread::sleep_for(300ms);
  for (const auto& m : fake.messages())
    EXPECT_EQ(str(m, "text").find("forged"), std::string::npos) << str(m, "text");
  EXPECT_EQ(h.logs().find(fake.apps[0].encrypt_key), std::string::npos);
}

TEST(FeishuE2E, FeishuAndLarkPluginsRunSideBySide) {
  fake_feishu fake({"--apps", "2"});
  ASSERT_EQ(fake.apps.size(), 2u);
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket") +
                     channel_yaml("lk", PB_LARK_PLUGIN, fake, fake.apps[1], "websocket"),
                 echo_agent(1, 0));
  ASSERT_TRUE(connected(h, "fs")) << h.logs();
  ASSERT_TRUE(connected(h, "lk")) << h.logs();
  auto a = fake.inject_text("to feishu", json::object{{"app_id", fake.apps[0].app_id}});
  auto b = fake.inject_text("to lark", json::object{{"app_id", fake.apps[1].app_id}});
  EXPECT_TRUE(answered_with(fake, str(a, "message_id"), "to feishu")) << h.logs();
  EXPECT_TRUE(answered_with(fake, str(b, "message_id"), "to lark")) << h.logs();
  auto plugins = h.get("/v1/channels", pbtest::token).body;
  EXPECT_NE(plugins.find("\"Feishu\""), std::string::npos) << plugins;
  EXPECT_NE(plugins.find("\"Lark\""), std::string::npos) << plugins;
}

}  // namespace
