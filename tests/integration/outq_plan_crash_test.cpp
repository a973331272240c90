// Nothing decided is lost in a crash, also when the answer is decided as several messages: a real
// `patchbay run` with the real feishu plugin against the fake Feishu server. A ~70 KB answer is
// three messages on Feishu (30,000 code points each): the placeholder's final edit shows part 1,
// parts 2 and 3 are new messages. The renderer hands operations over one at a time, so when the
// host is killed while an edit of the answer waits (every Open API call refused as rate limited)
// after the answer completed, the final edit and parts 2 and 3 exist only as the plan the turn row
// keeps (render/pending_plan.hpp). After the restart the user must see the whole answer, each
// part once.
#include <signal.h>

#include <cstdio>
#include <regex>

#include "fake_feishu.hpp"
#include "host_fixture.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;

// The numbers of the "wordN" tokens in `text`, in order (the continuation markers carry none).
std::vector<int> words_in(const std::string& text) {
  std::vector<int> out;
  static const std::regex re("word(\\d+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it)
    out.push_back(std::stoi((*it)[1]));
  return out;
}

TEST(OutboundQueueCrash, AnAnswerDecidedAsSeveralMessagesIsDeliveredWholeAfterAKill) {
  fake_feishu fake;
  ASSERT_EQ(fake.apps.size(), 1u) << fake.logs();
  host_fixture h(
      channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket", "      render: text\n"),
      "  echo: { type: echo, chunks: 2, delay_ms: 1500 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(wait_for([&] { return channel_state(h, "fs") == "connected"; })) << h.logs();

  std::string text;
  int words = 0;
  while (text.size() < 70'000) text += "word" + std::to_string(words++) + " ";
  auto in = fake.inject_text(text);
  const std::string mid = str(in, "message_id");
  ASSERT_FALSE(mid.empty());
  // The first half streamed into the placeholder; from now on every Open API call is refused.
  ASSERT_TRUE(wait_for([&] { return fake.bot_messages(mid).size() == 1; })) << h.logs();
  fake.fault({{"kind", "rate_limit"}, {"count", -1}, {"reset_s", 1}});
  // The second half arrives and the answer completes: its edit waits in the queue, refused, and
  // the renderer waits for it; what follows exists only as the turn row's plan. (Generous bound
  // for the terminal save's commit.)
  ASSERT_TRUE(wait_for(
      [&] {
        const auto q = h.get("/v1/queue", pbtest::token).body;
        return q.find("\"kind\":\"edit\"") != std::string::npos ||
               q.find("\"kind\":\"final_edit\"") != std::string::npos;
      },
      30))
      << h.logs();
  std::this_thread::sleep_for(1500ms);
  ASSERT_EQ(fake.bot_messages(mid).size(), 1u);
  EXPECT_LT(words_in(str(fake.bot_messages(mid)[0], "text")).size(), static_cast<size_t>(words))
      << "the placeholder shows only the first half before the kill";
  h.proc->signal(SIGKILL);
  ASSERT_EQ(h.proc->wait(10s), 128 + SIGKILL);
  fake.clear_faults();
  h.launch();
  ASSERT_FALSE(h.base.empty()) << h.logs();

  std::vector<int> expected(words);
  for (int i = 0; i < words; ++i) expected[i] = i;
  auto shown = [&] {
    std::string all;
    for (const auto& m : fake.bot_messages(mid)) all += str(m, "text") + "\n";
    return words_in(all);
  };
  EXPECT_TRUE(
      wait_for([&] { return fake.bot_messages(mid).size() == 3 && shown() == expected; }, 60))
      << fake.bot_messages(mid).size() << " messages\n"
      << h.logs();
  // And it stays so: nothing arrives twice later.
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(fake.bot_messages(mid).size(), 3u);
  EXPECT_EQ(shown(), expected);
  const std::string log = h.logs();
  const auto at = log.find("after a restart:");
  ASSERT_NE(at, std::string::npos) << log;
  std::printf("[ figures ] %s\n", log.substr(at, log.find('"', at) - at).c_str());
  EXPECT_NE(log.find("1 finished turn(s) deliver the rest of their answer"), std::string::npos)
      << log;
  auto q = h.get("/v1/queue", pbtest::token);
  EXPECT_NE(q.body.find("\"ops\":[]"), std::string::npos) << q.body;
}

}  // namespace
