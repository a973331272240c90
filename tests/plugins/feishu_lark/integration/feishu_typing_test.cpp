// The typing indicator on Feishu (issue 16) in a real `patchbay run` with the real feishu plugin
// against the fake Feishu server: the host starts the "Typing" reaction on the user's message
// when the turn starts and it is ALWAYS removed when the turn ends — after an answer, an agent
// error, /stop, an agent crash (the process agent exits mid-turn) — as the fake's reaction record
// shows; the refresh while the turn runs adds no second reaction; `typing: false` sends nothing;
// a rate-limited reaction never affects the answer.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fake_feishu.hpp"
#include "host_fixture.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;

// The fake's record of the reactions on `message_id`.
json::array reactions(const fake_feishu& fake, const std::string& message_id) {
  auto v = fake.call("GET", "/_fake/reactions?message_id=" + message_id);
  const auto* a = v.is_object() ? v.as_object().if_contains("reactions") : nullptr;
  return a && a->is_array() ? a->as_array() : json::array{};
}

size_t present(const json::array& rs) {
  size_t n = 0;
  for (const auto& r : rs)
    if (r.at("present").as_bool()) ++n;
  return n;
}

// Waits until the message had a Typing reaction and none is left; false (with the record in
// `why`) when that did not happen.
bool added_then_removed(const fake_feishu& fake, const std::string& mid, std::string& why) {
  const bool ok = wait_for([&] {
    auto rs = reactions(fake, mid);
    return !rs.empty() && present(rs) == 0;
  });
  why = json::serialize(reactions(fake, mid));
  if (!ok) return false;
  for (const auto& r : reactions(fake, mid))
    if (str(r, "emoji_type") != "Typing") return false;
  return true;
}

std::string slow_echo(int chunks, int delay_ms) {
  return "  echo: { type: echo, chunks: " + std::to_string(chunks) +
         ", delay_ms: " + std::to_string(delay_ms) + " }\n";
}

TEST(FeishuTyping, AddedWhileTheTurnRunsAndRemovedAfterTheAnswer) {
  fake_feishu fake;
  // ~7 s of deltas: the host refreshes (START again) every 5 s while the turn runs.
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 slow_echo(10, 700));
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  auto in = fake.inject_text("one two three four five six seven eight nine ten");
  const std::string mid = str(in, "message_id");
  // While the answer streams, the reaction is there.
  ASSERT_TRUE(wait_for([&] { return present(reactions(fake, mid)) == 1; })) << h.logs();
  EXPECT_TRUE(fake.bot_messages(mid).empty() || str(fake.bot_messages(mid)[0], "text") !=
                                                    "one two three four five six seven "
                                                    "eight nine ten");
  std::string why;
  EXPECT_TRUE(added_then_removed(fake, mid, why)) << why << h.logs();
  // One reaction in all: the refresh did not add another.
  EXPECT_EQ(reactions(fake, mid).size(), 1u) << why;
  ASSERT_EQ(fake.bot_messages(mid).size(), 1u);
  EXPECT_EQ(str(fake.bot_messages(mid)[0], "text"),
            "one two three four five six seven eight nine ten");
  EXPECT_EQ(fake.requests_to("/reactions").size(), 1u);  // one add (deletes end in the id)
}

TEST(FeishuTyping, RemovedAfterAnAgentErrorAndAfterStop) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 slow_echo(40, 150));
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  // The echo agent fails mid-stream.
  auto failing = fake.inject_text("fail: this goes wrong after a while");
  std::string why;
  EXPECT_TRUE(added_then_removed(fake, str(failing, "message_id"), why)) << why << h.logs();

  // /stop while the answer streams.
  std::string text;
  for (int i = 0; i < 40; ++i) text += "w" + std::to_string(i) + " ";
  auto in = fake.inject_text(text, json::object{{"sender_open_id", "ou_alice"}});
  const std::string mid = str(in, "message_id");
  ASSERT_TRUE(wait_for([&] { return present(reactions(fake, mid)) == 1; })) << h.logs();
  auto stop = fake.inject_text(
      "/stop", json::object{{"sender_open_id", "ou_alice"}, {"chat_id", str(in, "chat_id")}});
  EXPECT_TRUE(added_then_removed(fake, mid, why)) << why << h.logs();
  // The host's own answer to /stop shows no typing reaction.
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(reactions(fake, str(stop, "message_id")).empty());
}

// A process agent that streams one delta, then dies.
constexpr const char* crashing_agent = R"(import json, sys
for raw in sys.stdin:
    req = json.loads(raw)
    if req.get("cancel"):
        continue
    print(json.dumps({"turn": req["turn"], "delta": "thinking about it "}), flush=True)
    import time; time.sleep(1.5)
    sys.exit(3)
)";

TEST(FeishuTyping, RemovedAfterTheAgentCrashed) {
  fake_feishu fake;
  const auto script = std::filesystem::temp_directory_path() /
                      ("pb-crash-agent-" + std::to_string(::getpid()) + ".py");
  { std::ofstream(script) << crashing_agent; }
  host_fixture h(
      channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket", "", "crashy"),
      "  crashy:\n    type: process\n    command: [python3, \"" + script.string() + "\"]\n");
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  auto in = fake.inject_text("please think");
  const std::string mid = str(in, "message_id");
  std::string why;
  EXPECT_TRUE(added_then_removed(fake, mid, why)) << why << h.logs();
  // The user saw the crash as an error on the reply.
  EXPECT_TRUE(wait_for([&] {
    auto r = fake.bot_messages(mid);
    return !r.empty() && str(r[0], "text").find("thinking about it") != std::string::npos &&
           str(r[0], "text").size() > std::string("thinking about it ").size();
  })) << h.logs();
  std::filesystem::remove(script);
}

TEST(FeishuTyping, TypingFalseSendsNoReaction) {
  fake_feishu fake;
  host_fixture h(
      channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket") + "    typing: false\n",
      slow_echo(4, 100));
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  auto in = fake.inject_text("quiet please");
  ASSERT_TRUE(wait_for([&] {
    auto r = fake.bot_messages(str(in, "message_id"));
    return !r.empty() && str(r[0], "text") == "quiet please";
  })) << h.logs();
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(fake.requests_to("/reactions").empty());
  EXPECT_TRUE(reactions(fake, str(in, "message_id")).empty());
}

TEST(FeishuTyping, ARateLimitedReactionNeverAffectsTheAnswerAndPausesTyping) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 slow_echo(4, 100));
  ASSERT_TRUE(connected(h, "fs")) << h.logs() << fake.logs();
  fake.fault({{"kind", "reaction"}, {"code", 99991400}, {"http_status", 429}});
  auto first = fake.inject_text("first message");
  ASSERT_TRUE(wait_for([&] {
    auto r = fake.bot_messages(str(first, "message_id"));
    return !r.empty() && str(r[0], "text") == "first message";
  })) << h.logs();
  const size_t tried = fake.requests_to("/reactions").size();
  EXPECT_EQ(tried, 1u);
  // The channel's typing is paused: the next turn sends no reaction, and is answered.
  auto second = fake.inject_text("second message");
  ASSERT_TRUE(wait_for([&] {
    auto r = fake.bot_messages(str(second, "message_id"));
    return !r.empty() && str(r[0], "text") == "second message";
  })) << h.logs();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(fake.requests_to("/reactions").size(), tried);
  EXPECT_TRUE(reactions(fake, str(second, "message_id")).empty());
}

}  // namespace
