// End to end: a real `patchbay run` whose default agent is a `process` agent (agent.py), driven
// by the real `patchbay chat` CLI: a streamed answer with exit 0, a crash mid-turn with exit 1
// and the error text, the refusal while restarting, and a clean shutdown that ends the process.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "child_process.hpp"
#include "host_fixture.hpp"
#include "open_access.hpp"
#include "process_test_support.hpp"

namespace {
using namespace std::chrono_literals;
using pbtest::host_fixture;

using pbtest::chat;
using pbtest::chat_result;

const std::string agents_yaml =
    "  bot:\n"
    "    type: process\n"
    "    command: [python3, \"" +
    proctest::script("agent.py") +
    "\"]\n"
    "    restart_backoff: { initial_ms: 60000, jitter: 0 }\n";

TEST(ProcessAgentEndToEnd, ChatStreamsTheAnswerAndACrashIsAnErrorExitOne) {
  host_fixture h("", agents_yaml);
  ASSERT_FALSE(h.base.empty()) << h.logs();

  auto ok = chat(h.base, {"hi"});
  EXPECT_EQ(ok.rc, 0) << ok.err << h.logs();
  EXPECT_EQ(ok.out, "you said hi\n");
  EXPECT_EQ(ok.err, "");

  auto crash = chat(h.base, {"crash-mid:3"});
  EXPECT_EQ(crash.rc, 1) << crash.err;
  EXPECT_EQ(crash.out, "partial \n");
  EXPECT_NE(crash.err.find("The agent process exited with code 3 before finishing this answer."),
            std::string::npos)
      << crash.err;

  auto refused = chat(h.base, {"hi again"});
  EXPECT_EQ(refused.rc, 1);
  EXPECT_NE(refused.err.find("restarting, try again in"), std::string::npos) << refused.err;
}

TEST(ProcessAgentEndToEnd, ShutdownStopsTheProcessAndExitsZero) {
  host_fixture h("", agents_yaml);
  ASSERT_FALSE(h.base.empty()) << h.logs();
  auto r = chat(h.base, {"pid"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const int pid = std::stoi(r.out);
  EXPECT_TRUE(proctest::process_alive(pid));
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0) << h.logs();
  EXPECT_TRUE(proctest::wait_gone(pid));
  EXPECT_NE(h.logs().find("stopping its process"), std::string::npos) << h.logs();
}

}  // namespace

// A crash loop of the process agent shows in the status of the channels it answers
// (GET /v1/channels `agent_problem`), not only in the log.
TEST(ProcessAgentEndToEnd, CrashLoopShowsInChannelStatus) {
  const std::string agents =
      "  bot:\n"
      "    type: process\n"
      "    command: [sh, \"" +
      proctest::script("crash_at_start.sh") +
      "\"]\n"
      "    restart_backoff: { initial_ms: 50, cap_ms: 100, jitter: 0 }\n"
      "    crash_loop: { restarts: 2, window_ms: 60000 }\n";
  // The good test plugin emits a message at start: the first turn spawns the process.
  host_fixture h("  - id: ch\n    plugin: \"" PB_GOOD_PLUGIN "\"\n    agent: bot\n" PB_OPEN_ACCESS
                 "    config: {emit_on_start: true}\n",
                 agents);
  ASSERT_FALSE(h.base.empty()) << h.logs();
  std::string body;
  for (int i = 0; i < 500; ++i) {
    body = h.get("/v1/channels", pbtest::token).body;
    if (body.find("crash loop") != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(body.find(R"("agent_problem":"crash loop)"), std::string::npos) << body << h.logs();
}
