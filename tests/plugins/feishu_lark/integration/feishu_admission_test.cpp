// Backpressure before acknowledgement (host.admission) with the real feishu plugin in a real
// `patchbay run` against the fake Feishu server, and a slow http agent served by the test: with
// room for 2 turns past intake (1 running, 1 waiting), a burst of messages in different chats is
// partly refused BEFORE the host stores it; the long connection acks those events with a non-200
// code, the fake re-pushes them, and in the end every message is answered exactly once, no turn
// ever gets a "busy" answer, the agent never runs two turns at once, and the refusals are counted.
// Webhook mode: a refused event is answered 503 (the platform delivers it again).
#include "fake_feishu.hpp"
#include "held_agent.hpp"
#include "host_fixture.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;

const char* tight_admission =
    "  admission: { max_turns_in_flight: 1, max_pending_turns: 1, retry_after_ms: 200 }\n";

// The value of `series` (the exact text before the value) in a scrape; -1 when absent.
double metric(const std::string& scrape, const std::string& series) {
  const std::string needle = series + " ";
  for (size_t p = scrape.find(needle); p != std::string::npos; p = scrape.find(needle, p + 1))
    if (p == 0 || scrape[p - 1] == '\n')
      return std::stod(scrape.substr(p + needle.size(), scrape.find('\n', p) - p));
  return -1;
}

const std::string refused_series =
    R"(patchbay_inbound_refused_total{channel="fs",reason="overload"})";

TEST(FeishuAdmission, ABurstIsRefusedBeforeTheAckRepushedAndAnsweredOnce) {
  fake_feishu fake;
  ASSERT_FALSE(fake.apps.empty()) << fake.logs();
  // Re-push refused events quickly (the platform's own schedule starts at 15 s).
  json::array repush;
  for (int i = 0; i < 16; ++i) repush.push_back(300);
  fake.config(json::object{{"repush_ms", repush}});
  pbtest::held_agent agent(300ms);
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket",
                              "      render: text\n", "held"),
                 agent.yaml(), tight_admission);
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(wait_for([&] { return channel_state(h, "fs") == "connected"; })) << h.logs();

  constexpr int burst = 6;
  std::vector<json::object> sent;
  for (int i = 0; i < burst; ++i)
    sent.push_back(fake.inject_text("burst " + std::to_string(i),
                                    json::object{{"chat_id", "oc_burst_" + std::to_string(i)}}));
  // Every message answered, each by exactly one bot message with its echo.
  for (int i = 0; i < burst; ++i) {
    const std::string mid = str(sent[i], "message_id");
    const std::string want = "echo: burst " + std::to_string(i);
    ASSERT_TRUE(wait_for(
        [&] {
          for (const auto& m : fake.bot_messages(mid))
            if (str(m, "text") == want) return true;
          return false;
        },
        60))
        << "message " << i << " not answered\n"
        << h.logs();
  }
  std::this_thread::sleep_for(1s);  // room for a wrong second answer to show up
  int refused_pushes = 0;
  for (int i = 0; i < burst; ++i) {
    const std::string mid = str(sent[i], "message_id");
    auto replies = fake.bot_messages(mid);
    ASSERT_EQ(replies.size(), 1u) << "message " << i;
    EXPECT_EQ(str(replies[0], "text"), "echo: burst " + std::to_string(i));
    // Acked 200 in the end; refused pushes were acked with a non-200 code first (failures).
    auto e = fake.event(str(sent[i], "event_id"));
    ASSERT_TRUE(e.is_object());
    EXPECT_TRUE(fake.acked_ok(str(sent[i], "event_id"))) << json::serialize(e);
    refused_pushes += static_cast<int>(num(e, "failures"));
  }
  EXPECT_GT(refused_pushes, 0) << "the burst never met the admission limit";
  // The agent was asked once per message and never held two turns at once.
  auto asked = agent.asked();
  EXPECT_EQ(asked.size(), static_cast<size_t>(burst));
  for (const auto& [text, n] : asked) EXPECT_EQ(n, 1) << text;
  EXPECT_EQ(agent.max_held(), 1u);
  // No user ever saw a "busy" answer.
  for (const auto& m : fake.messages())
    EXPECT_EQ(str(m, "text").find("busy"), std::string::npos) << str(m, "text");
  // The refusals are counted; the host's overload warning is not one line per event.
  const std::string scrape = h.get("/metrics").body;
  EXPECT_GE(metric(scrape, refused_series), 1) << scrape;
  const std::string logs = h.logs();
  size_t warnings = 0;
  for (auto p = logs.find("overloaded: refusing"); p != std::string::npos;
       p = logs.find("overloaded: refusing", p + 1))
    ++warnings;
  EXPECT_GE(warnings, 1u);
  EXPECT_LT(warnings, static_cast<size_t>(refused_pushes) + 1);
  EXPECT_LE(warnings, 2u) << logs;  // one per 10 s at most; the test runs for a few seconds
}

TEST(FeishuAdmission, WebhookModeAnswersARefusedEvent503) {
  fake_feishu fake;
  pbtest::held_agent agent(1500ms);
  host_fixture h(
      channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "webhook", "", "held"), agent.yaml(),
      "  admission: { max_turns_in_flight: 1, max_pending_turns: 0, retry_after_ms: 200 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(wait_for([&] { return channel_state(h, "fs") == "connected"; })) << h.logs();
  const std::string url = h.base + "/hooks/fs";
  auto event = [&](const std::string& text, json::object extra = {}) {
    extra["url"] = url;
    extra["kind"] = "event";
    extra["chat_type"] = "p2p";
    extra["text"] = text;
    return fake.webhook(std::move(extra));
  };
  // The first event takes the only place; the second, while it runs, is refused with 503.
  auto first = event("first");
  EXPECT_EQ(num(first, "status"), 200) << json::serialize(first) << h.logs();
  ASSERT_TRUE(wait_for([&] { return agent.asked().count("first") == 1; })) << h.logs();
  auto second = event("second");
  EXPECT_EQ(num(second, "status"), 503) << json::serialize(second) << h.logs();
  EXPECT_GE(metric(h.get("/metrics").body, refused_series), 1);
  // The platform delivers it again (same ids); once the first turn ended it is taken.
  const json::object same{{"event_id", str(second, "event_id")},
                          {"message_id", str(second, "message_id")}};
  ASSERT_TRUE(wait_for(
      [&] {
        if (num(event("second", same), "status") == 200) return true;
        std::this_thread::sleep_for(100ms);
        return false;
      },
      20))
      << h.logs();
  ASSERT_TRUE(wait_for([&] {
    return !fake.bot_messages(str(second, "message_id")).empty() &&
           !fake.bot_messages(str(first, "message_id")).empty();
  })) << h.logs();
  EXPECT_EQ(agent.asked().at("second"), 1);
  EXPECT_EQ(str(fake.bot_messages(str(second, "message_id")).at(0), "text"), "echo: second");
}

}  // namespace
