// Nothing lost in a crash (docs/architecture.md §7, issue 15): a real `patchbay run` with the real
// feishu plugin against the fake Feishu server and a slow streaming echo agent. Messages in
// several chats are injected, the host is killed with SIGKILL at random points a few times while
// replies stream and wait in the outbound queue, and restarted on the same state. Then the fake's
// record must show every message answered exactly once: one bot message replying to it (the
// placeholder, edited), whose final text is the whole echo or the "interrupted" notice — never
// two messages (a resend after a crash carries the same uuid), never none.
//
// Also: a burst against the fake's rate limit (every Open API call refused for a while) — every
// reply waits in the queue, paced, and is delivered.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <random>

#include "fake_feishu.hpp"
#include "host_fixture.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;

const std::string slow_echo = "  echo: { type: echo, chunks: 6, delay_ms: 150 }\n";
// One message per answer, edited (streaming cards complete a cut answer with a text message).
const std::string text_render = "      render: text\n";
const std::string notice = "The gateway restarted while answering this message";

std::string text_of(int i) {
  return "message " + std::to_string(i) + " alpha beta gamma delta epsilon zeta";
}

// reply_to → the bot messages replying to it, from one /_fake/messages read.
std::map<std::string, std::vector<json::object>> replies(const fake_feishu& fake) {
  std::map<std::string, std::vector<json::object>> out;
  for (const auto& m : fake.messages()) out[str(m, "reply_to")].push_back(m.as_object());
  return out;
}

// Every injected message has exactly one reply, finished (the echo or the notice).
bool all_answered(const fake_feishu& fake, const std::vector<std::pair<std::string, int>>& sent,
                  std::string* why = nullptr) {
  auto r = replies(fake);
  for (const auto& [mid, i] : sent) {
    const auto& list = r[mid];
    if (list.size() != 1) {
      if (why)
        *why = "message " + std::to_string(i) + ": " + std::to_string(list.size()) + " replies";
      return false;
    }
    std::string t = str(list[0], "text");
    if (t != text_of(i) && t.find(notice) == std::string::npos) {
      if (why) *why = "message " + std::to_string(i) + " shows '" + t + "'";
      return false;
    }
  }
  return true;
}

TEST(OutboundQueueCrash, KilledFiveTimesWithRepliesQueuedEveryMessageIsAnsweredExactlyOnce) {
  fake_feishu fake;
  ASSERT_EQ(fake.apps.size(), 1u) << fake.logs();
  // Quick re-pushes of events the killed host never acknowledged.
  fake.config({{"ack_timeout_ms", 1000}, {"repush_ms", json::array{500, 1000, 2000, 2000, 2000}}});
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket", text_render),
                 slow_echo);
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(wait_for([&] { return channel_state(h, "fs") == "connected"; })) << h.logs();

  constexpr int chats = 6, per_chat = 5;
  std::vector<std::pair<std::string, int>> sent;  // message id, index
  for (int i = 0; i < chats * per_chat; ++i) {
    auto in = fake.inject({{"chat_type", "group"},
                           {"chat_id", "oc_chat" + std::to_string(i % chats)},
                           {"mention_bot", true},
                           {"text", text_of(i)}});
    ASSERT_FALSE(str(in, "message_id").empty());
    sent.emplace_back(str(in, "message_id"), i);
  }

  std::mt19937 rng(std::random_device{}());
  std::string restarts;  // each run's recovery summary
  for (int kill = 0; kill < 5; ++kill) {
    // Killed while answers stream (the channel connected, replies on their way).
    ASSERT_TRUE(wait_for([&] { return channel_state(h, "fs") == "connected"; })) << h.logs();
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 900));
    h.proc->signal(SIGKILL);
    ASSERT_EQ(h.proc->wait(10s), 128 + SIGKILL);
    std::string log = h.logs();
    if (auto at = log.find("after a restart:"); at != std::string::npos)
      restarts += log.substr(at, log.find('"', at) - at) + "\n";
    h.launch();
    ASSERT_FALSE(h.base.empty()) << log << h.logs();
  }
  // Some replies were out before the last kill, and not all: the kills hit mid-way.
  size_t before_end = fake.messages().size();
  std::string why;
  EXPECT_TRUE(wait_for([&] { return all_answered(fake, sent, &why); }, 120)) << why << "\n"
                                                                             << h.logs();
  // And it stays so: nothing more arrives later (a late duplicate would show here).
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(all_answered(fake, sent, &why)) << why;
  size_t echoed = 0, notices = 0;
  for (const auto& m : fake.messages())
    (str(m, "text").find(notice) != std::string::npos ? notices : echoed)++;
  std::printf("[ figures ] %zu messages: %zu answered in full, %zu with the interrupted notice\n",
              sent.size(), echoed, notices);
  std::string all = h.logs();
  if (auto at = all.find("after a restart:"); at != std::string::npos)
    restarts += all.substr(at, all.find('"', at) - at) + "\n";
  std::printf("[ figures ] %zu bot messages existed at the last kill\n%s", before_end,
              restarts.c_str());
  EXPECT_GT(before_end, 0u);
  EXPECT_FALSE(restarts.empty());
  // No bot message replies to anything else.
  size_t total = fake.messages().size();
  EXPECT_EQ(total, sent.size());
  // The queue is empty once everything went out.
  auto q = h.get("/v1/queue", pbtest::token);
  EXPECT_EQ(q.status, 200u) << q.body;
  EXPECT_NE(q.body.find("\"ops\":[]"), std::string::npos) << q.body;
  // The same through the command line, and a refusal for an op that does not exist.
  std::string out, err;
  EXPECT_EQ(pbtest::run_command({PB_PATCHBAY_BIN, "queue", "list", "--url", h.base}, out, err,
                                {{"PATCHBAY_TOKEN", pbtest::token}}),
            0)
      << err;
  EXPECT_NE(out.find("the outbound queue is empty"), std::string::npos) << out;
  EXPECT_EQ(pbtest::run_command({PB_PATCHBAY_BIN, "queue", "drop", "987654", "--url", h.base}, out,
                                err, {{"PATCHBAY_TOKEN", pbtest::token}}),
            1);
  EXPECT_NE(err.find("HTTP 404"), std::string::npos) << err;
  EXPECT_EQ(pbtest::run_command({PB_PATCHBAY_BIN, "queue", "frob"}, out, err), 2);
  // Status and metrics carry the queue's figures.
  EXPECT_NE(h.get("/v1/channels", pbtest::token).body.find("\"oldest_queued_ms\""),
            std::string::npos);
  EXPECT_NE(h.get("/metrics").body.find("patchbay_outbound_queue_ops"), std::string::npos);
}

TEST(OutboundQueueCrash, ARateLimitBurstIsWaitedOutAndEveryReplyDelivered) {
  fake_feishu fake;
  ASSERT_EQ(fake.apps.size(), 1u) << fake.logs();
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket", text_render),
                 "  echo: { type: echo, chunks: 2, delay_ms: 20 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(wait_for([&] { return channel_state(h, "fs") == "connected"; })) << h.logs();
  // Every Open API call is refused with 99991400 for the next 120 calls.
  fake.fault({{"kind", "rate_limit"}, {"count", 120}, {"reset_s", 1}});
  std::vector<std::pair<std::string, int>> sent;
  for (int i = 0; i < 40; ++i) {
    auto in = fake.inject({{"chat_type", "group"},
                           {"chat_id", "oc_burst" + std::to_string(i % 10)},
                           {"mention_bot", true},
                           {"text", text_of(i)}});
    sent.emplace_back(str(in, "message_id"), i);
  }
  std::string why;
  EXPECT_TRUE(wait_for(
      [&] {
        auto r = replies(fake);
        for (const auto& [mid, i] : sent) {
          if (r[mid].size() != 1 || str(r[mid][0], "text") != text_of(i)) {
            why =
                "message " + std::to_string(i) + ": " + std::to_string(r[mid].size()) + " replies";
            return false;
          }
        }
        return true;
      },
      120))
      << why << "\n"
      << h.logs();
  EXPECT_EQ(fake.messages().size(), sent.size());
}

}  // namespace

// Messages the inbound rate limit holds (`over_limit: queue`) were acknowledged to the platform:
// a SIGKILL while they wait must not lose them. After the restart (here with the limit lifted)
// each is answered exactly once.
TEST(OutboundQueueCrash, MessagesHeldByTheRateLimitQueueSurviveAKill) {
  fake_feishu fake;
  const std::string limited = "per_sender: {per_minute: 1, burst: 1}";
  host_fixture h("  - id: fs\n    plugin: \"" PB_FEISHU_PLUGIN
                 "\"\n    agent: echo\n"
                 "    access: {dm: open}\n"
                 "    limits: {" +
                 limited +
                 ", per_channel: {per_minute: 0}, over_limit: queue, queue_max: 10}\n"
                 "    config:\n" +
                 config_yaml(fake, fake.apps[0], "websocket", text_render));
  ASSERT_TRUE(wait_for([&] { return channel_state(h, "fs") == "connected"; })) << h.logs();
  std::vector<std::pair<std::string, int>> sent;
  for (int i = 0; i < 4; ++i) {
    auto in = fake.inject(
        {{"chat_id", "oc_held"}, {"sender_open_id", "ou_held_sender"}, {"text", text_of(i)}});
    sent.emplace_back(str(in, "message_id"), i);
  }
  // The first is answered; the other three wait for a token (one a minute).
  ASSERT_TRUE(wait_for([&] { return fake.bot_messages(sent[0].first).size() == 1; })) << h.logs();
  ASSERT_TRUE(wait_for([&] {
    const std::string log = h.logs();
    size_t n = 0;
    for (size_t at = log.find("held: over the rate limit"); at != std::string::npos;
         at = log.find("held: over the rate limit", at + 1))
      ++n;
    return n == 3;
  })) << h.logs();
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(fake.bot_messages(sent[i].first).empty());
  h.proc->signal(SIGKILL);
  ASSERT_EQ(h.proc->wait(10s), 128 + SIGKILL);
  // Restart with the limit lifted: the held messages run at once.
  std::string yaml = pbtest::read_file((h.dir / "patchbay.yaml").string());
  yaml.replace(yaml.find(limited), limited.size(), "per_sender: {per_minute: 0}");
  std::ofstream(h.dir / "patchbay.yaml") << yaml;
  h.launch();
  ASSERT_FALSE(h.base.empty()) << h.logs();
  std::string why;
  EXPECT_TRUE(wait_for([&] { return all_answered(fake, sent, &why); }, 30)) << why << "\n"
                                                                            << h.logs();
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(all_answered(fake, sent, &why)) << why;
  EXPECT_EQ(fake.messages().size(), sent.size());
}
