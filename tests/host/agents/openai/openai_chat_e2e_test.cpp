// End to end: `patchbay chat` against a real `patchbay run` whose agent is an `openai` backend
// pointing at patchbay-fake-openai; the API key comes from ${ENV} in the YAML. History across two
// turns of one thread, a 429 as a classified error on stderr (exit 1), and the key in no log.
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "fake_openai_process.hpp"
#include "fake_process.hpp"
#include "host_fixture.hpp"
#include "open_access.hpp"

namespace {
using agent_test::fake_openai;
using agent_test::messages_of;

using pbtest::chat;
using pbtest::chat_result;

TEST(OpenaiAgentChat, HistoryAndRateLimitThroughTheHost) {
  fake_openai fake(pbtest::secret);  // the host's key comes from ${PB_IT_SECRET}
  ASSERT_FALSE(fake.base_url.empty());
  pbtest::host_fixture h("",
                         "  gpt:\n"
                         "    type: openai\n"
                         "    base_url: \"" +
                             fake.base_url +
                             "\"\n"
                             "    model: fake-gpt\n"
                             "    api_key: \"${PB_IT_SECRET}\"\n"
                             "    system_prompt: \"Answer briefly.\"\n"
                             "    history_turns: 4\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();

  auto first = chat(h.base, {"--agent", "gpt", "--thread", "conv-1", "first question"});
  EXPECT_EQ(first.rc, 0) << first.err;
  EXPECT_EQ(first.out, "echo: first question\n");
  auto second = chat(h.base, {"--agent", "gpt", "--thread", "conv-1", "second question"});
  EXPECT_EQ(second.rc, 0) << second.err;
  EXPECT_EQ(second.out, "echo: second question\n");
  auto reqs = fake.chat_requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(messages_of(reqs[1]),
            (std::vector<std::string>{"system: Answer briefly.", "user: first question",
                                      "assistant: echo: first question", "user: second question"}));

  fake.fault(R"({"kind":"status","status":429,"code":"rate_limit_exceeded"})");
  auto limited = chat(h.base, {"--agent", "gpt", "--thread", "conv-1", "third"});
  EXPECT_EQ(limited.rc, 1);
  EXPECT_EQ(limited.out, "");
  EXPECT_NE(limited.err.find(
                "The model is rate-limited or over its usage limit; please try again later."),
            std::string::npos)
      << limited.err;

  const std::string log = h.wait_for_log("HTTP 429");
  EXPECT_NE(log.find("HTTP 429"), std::string::npos) << log;
  EXPECT_EQ(log.find(pbtest::secret), std::string::npos);
}

}  // namespace

namespace {

// /new in a channel conversation: the next turn of the `openai` agent starts without the
// conversation's history (a new thread key), and the /new itself never reaches the model.
TEST(OpenaiAgentChat, NewCommandStartsTheNextTurnWithoutHistory) {
  fake_openai fake(pbtest::secret);
  ASSERT_FALSE(fake.base_url.empty());
  pbtest::host_fixture h("  - id: chan\n    plugin: good\n    agent: gpt\n" PB_OPEN_ACCESS,
                         "  gpt:\n    type: openai\n    base_url: \"" + fake.base_url +
                             "\"\n    model: fake-gpt\n    api_key: \"${PB_IT_SECRET}\"\n"
                             "    history_turns: 4\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(pbfake::wait_for([&] { return h.get("/readyz").status == 200; }, 20)) << h.logs();
  int seq = 0;
  auto say = [&](const std::string& text, const std::string& answer) {
    auto r = h.post("/hooks/chan/emit", text, false, {{"X-Event", "e" + std::to_string(++seq)}});
    ASSERT_EQ(r.status, 202u) << r.body;
    ASSERT_TRUE(
        pbfake::wait_for([&] { return h.logs().find("text=" + answer) != std::string::npos; }, 20))
        << h.logs();
  };
  say("first question", "echo: first question");
  say("second question", "echo: second question");
  say("/new", "Started a new conversation.");
  say("third question", "echo: third question");
  auto reqs = fake.chat_requests();
  ASSERT_EQ(reqs.size(), 3u);  // /new never reached the model
  EXPECT_EQ(messages_of(reqs[1]),
            (std::vector<std::string>{"user: first question", "assistant: echo: first question",
                                      "user: second question"}));
  EXPECT_EQ(messages_of(reqs[2]), std::vector<std::string>{"user: third question"});
}

}  // namespace
