// "Every inbound message gets an outcome" through the real feishu plugin against the fake Feishu
// server: a message with empty text, and a group message that is only the bot's @mention, are
// answered by the host with the documented text (once each) and never reach the agent.
// (The plugin's own parsers, e.g. non-JSON content, are covered by the plugin's tests.)
#include "fake_feishu.hpp"
#include "host_fixture.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;

const std::string unreadable = "I can't read this kind of message yet.";

TEST(FeishuUnreadable, EmptyAndMentionOnlyMessagesGetTheHostsAnswer) {
  fake_feishu fake;
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket"),
                 "  echo: { type: echo, chunks: 1, delay_ms: 0 }\n");
  ASSERT_TRUE(wait_for([&] { return channel_state(h, "fs") == "connected"; }))
      << h.logs() << fake.logs();
  const json::object group{{"chat_type", "group"}, {"mention_bot", true}};
  for (const auto& [text, where] :
       std::vector<std::pair<std::string, json::object>>{{"", {}}, {"   ", {}}, {"", group}}) {
    auto in = fake.inject_text(text, where);
    const std::string id = str(in, "message_id");
    std::string answer;
    wait_for([&] {
      auto r = fake.bot_messages(id);
      if (r.empty()) return false;
      answer = str(r[0], "text");
      return answer == unreadable;
    });
    EXPECT_EQ(answer, unreadable) << "text '" << text << "' " << h.logs();
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(fake.bot_messages(id).size(), 1U);  // exactly one answer, not the agent's echo
  }
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

}  // namespace
