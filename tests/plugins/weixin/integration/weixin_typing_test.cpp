// Weixin (iLink) in a real `patchbay run` against the fake iLink server (issue 16):
//  - the typing indicator (getconfig ticket + sendtyping) is started when a turn starts and ALWAYS
//    cancelled (status 2) when it ends: after an answer, an agent error, /stop and an agent crash;
//    `typing: false` sends none;
//  - inbound messages the platform marks as bot-authored (message_type 2) or still generating
//    (message_state 1) are acknowledged and never answered;
//  - the send budget (about 10 messages per context_token): a 1 MB answer goes out as at most 10
//    sendmessage calls, the last saying it was cut, with at most one budget line in the log.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"

namespace {
using namespace wxtest;
using pbtest::host_fixture;

// The statuses sendtyping recorded for `user`, in order (1 typing, 2 cancel).
std::vector<int64_t> typing_of(const fake_ilink& fake, const std::string& user) {
  std::vector<int64_t> out;
  for (const auto& t : fake.list("/_fake/typing", "typing"))
    if (str(t, "user") == user) out.push_back(num(t, "status"));
  return out;
}

// Started and, in the end, cancelled: the first status is 1, the last 2, and the last stays 2.
bool started_then_stopped(const fake_ilink& fake, const std::string& user, std::string& why) {
  const bool ok = fake_ilink::wait_for([&] {
    auto s = typing_of(fake, user);
    return !s.empty() && s.front() == 1 && s.back() == 2;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto s = typing_of(fake, user);
  why.clear();
  for (auto v : s) why += std::to_string(v) + " ";
  return ok && s.back() == 2 && std::count(s.begin(), s.end(), 2) == 1;
}

std::vector<json::value> sent_to(const fake_ilink& fake, const std::string& user) {
  std::vector<json::value> out;
  for (const auto& s : fake.sent())
    if (str(s, "to") == user) out.push_back(s);
  return out;
}

std::string with_agent(std::string yaml, const std::string& agent) {
  const auto at = yaml.find("agent: echo");
  if (at != std::string::npos) yaml.replace(at, 11, "agent: " + agent);
  return yaml;
}

TEST(WeixinTyping, StartedAndCancelledAfterAnAnswerAnErrorAndStop) {
  fake_ilink fake;
  host_fixture h(channel_yaml(fake, fake.accounts[0]),
                 "  echo: { type: echo, chunks: 30, delay_ms: 100 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }));
  std::string why;
  fake.inject("ann@im.wechat", "a short answer");
  EXPECT_TRUE(started_then_stopped(fake, "ann@im.wechat", why)) << why << h.logs();
  ASSERT_EQ(sent_to(fake, "ann@im.wechat").size(), 1u);
  EXPECT_EQ(str(sent_to(fake, "ann@im.wechat")[0], "text"), "a short answer");

  fake.inject("ben@im.wechat", "fail: this goes wrong");
  EXPECT_TRUE(started_then_stopped(fake, "ben@im.wechat", why)) << why << h.logs();

  std::string text;
  for (int i = 0; i < 30; ++i) text += "w" + std::to_string(i) + " ";
  fake.inject("cat@im.wechat", text);
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !typing_of(fake, "cat@im.wechat").empty(); }));
  fake.inject("cat@im.wechat", "/stop");
  EXPECT_TRUE(started_then_stopped(fake, "cat@im.wechat", why)) << why << h.logs();
  EXPECT_TRUE(fake_ilink::wait_for([&] {
    for (const auto& s : sent_to(fake, "cat@im.wechat"))
      if (str(s, "text") == "Stopped the answer.") return true;
    return false;
  })) << h.logs();
}

// A process agent that streams one delta, then dies.
constexpr const char* crashing_agent = R"(import json, sys, time
for raw in sys.stdin:
    req = json.loads(raw)
    if req.get("cancel"):
        continue
    print(json.dumps({"turn": req["turn"], "delta": "thinking about it "}), flush=True)
    time.sleep(1.5)
    sys.exit(3)
)";

TEST(WeixinTyping, CancelledAfterTheAgentCrashed) {
  fake_ilink fake;
  const auto script = std::filesystem::temp_directory_path() /
                      ("pb-wx-crash-agent-" + std::to_string(::getpid()) + ".py");
  std::ofstream(script) << crashing_agent;
  host_fixture h(
      with_agent(channel_yaml(fake, fake.accounts[0]), "crashy"),
      "  crashy:\n    type: process\n    command: [python3, \"" + script.string() + "\"]\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  fake.inject("dan@im.wechat", "please think");
  std::string why;
  EXPECT_TRUE(started_then_stopped(fake, "dan@im.wechat", why)) << why << h.logs();
  // The user got the partial answer with the error notice.
  EXPECT_TRUE(fake_ilink::wait_for([&] { return !sent_to(fake, "dan@im.wechat").empty(); }));
  std::filesystem::remove(script);
}

TEST(WeixinTyping, TypingFalseSendsNoIndicator) {
  fake_ilink fake;
  host_fixture h(channel_yaml(fake, fake.accounts[0]) + "    typing: false\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  fake.inject("eve@im.wechat", "quiet please");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !sent_to(fake, "eve@im.wechat").empty(); }))
      << h.logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(fake.requests_to("sendtyping").empty());
  EXPECT_TRUE(fake.requests_to("getconfig").empty());
}

TEST(WeixinInbound, BotAuthoredAndGeneratingMessagesAreSkippedAndAcknowledged) {
  fake_ilink fake;
  host_fixture h(channel_yaml(fake, fake.accounts[0]));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  fake.call("POST", "/_fake/inject",
            json::object{{"from", "fay@im.wechat"}, {"text", "from the bot"}, {"message_type", 2}});
  fake.call("POST", "/_fake/inject",
            json::object{{"from", "fay@im.wechat"}, {"text", "half done"}, {"message_state", 1}});
  fake.inject("fay@im.wechat", "a real one");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !sent_to(fake, "fay@im.wechat").empty(); }))
      << h.logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  auto sent = sent_to(fake, "fay@im.wechat");
  ASSERT_EQ(sent.size(), 1u) << h.logs();
  EXPECT_EQ(str(sent[0], "text"), "a real one");
  const std::string log = h.logs();
  EXPECT_NE(log.find("skipping a bot-authored message"), std::string::npos) << log;
  EXPECT_NE(log.find("skipping a still generating message"), std::string::npos) << log;
  // Acknowledged: after a restart nothing of them is delivered again.
  h.proc.reset();
  std::filesystem::remove(h.dir / "err.log");
  h.launch();
  ASSERT_FALSE(h.base.empty()) << h.logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(sent_to(fake, "fay@im.wechat").size(), 1u) << h.logs();
}

// A process agent that answers with `size` bytes of text in 64 KiB deltas.
constexpr const char* big_agent = R"(import json, sys
size = int(sys.argv[1])
for raw in sys.stdin:
    req = json.loads(raw)
    if req.get("cancel"):
        continue
    word = "lorem ipsum dolor sit amet, consectetur adipiscing elit. "
    text = (word * (size // len(word) + 1))[:size]
    for i in range(0, size, 65536):
        print(json.dumps({"turn": req["turn"], "delta": text[i:i + 65536]}), flush=True)
    print(json.dumps({"turn": req["turn"], "done": True}), flush=True)
)";

TEST(WeixinBudget, AOneMegabyteAnswerGoesOutInAtMostTenMessagesTheLastSayingItWasCut) {
  fake_ilink fake;
  const auto script = std::filesystem::temp_directory_path() /
                      ("pb-wx-big-agent-" + std::to_string(::getpid()) + ".py");
  std::ofstream(script) << big_agent;
  host_fixture h(with_agent(channel_yaml(fake, fake.accounts[0]), "big"),
                 "  big:\n    type: process\n    command: [python3, \"" + script.string() +
                     "\", \"1048576\"]\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  fake.inject("gus@im.wechat", "tell me everything");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !sent_to(fake, "gus@im.wechat").empty(); }, 60))
      << h.logs();
  // Whatever goes out has gone out once the last part arrived; give stragglers a moment.
  ASSERT_TRUE(fake_ilink::wait_for([&] {
    auto s = sent_to(fake, "gus@im.wechat");
    return str(s.back(), "text").find("(answer cut: too long for this channel)") !=
           std::string::npos;
  })) << h.logs();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto sent = sent_to(fake, "gus@im.wechat");
  const size_t calls = fake.requests_to("sendmessage").size();
  const std::string log = h.logs();
  size_t budget_lines = 0;  // the host's "cut" line and the plugin's refusal line
  for (const char* what : {"send budget", "per reply"})
    for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1))
      ++budget_lines;
  std::printf(
      "[ figures ] 1 MB answer: %zu sendmessage call(s), %zu delivered, %zu budget line(s)\n",
      calls, sent.size(), budget_lines);
  EXPECT_LE(calls, 10u);
  EXPECT_LE(sent.size(), 10u);
  EXPECT_GE(sent.size(), 2u);
  EXPECT_NE(str(sent.back(), "text").find("(answer cut: too long for this channel)"),
            std::string::npos);
  EXPECT_LE(budget_lines, 1u) << log;
  for (const auto& s : sent) EXPECT_LE(str(s, "text").size(), 4u * 2000u);
  std::filesystem::remove(script);
}

}  // namespace
