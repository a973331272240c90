// End to end: a real `patchbay run` whose default agent is a `process` agent (agent.py), driven
// by the real `patchbay chat` CLI: a streamed answer with exit 0, a crash mid-turn with exit 1
// and the error text, the refusal while restarting, and a clean shutdown that ends the process.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "child_process.hpp"
#include "host_fixture.hpp"
#include "process_test_support.hpp"

namespace {
using namespace std::chrono_literals;
using pbtest::host_fixture;

struct chat_result {
  int rc;
  std::string out, err;
};

chat_result chat(const std::string& url, const std::string& text) {
  chat_result r;
  r.rc = pbtest::run_command({PB_PATCHBAY_BIN, "chat", "--url", url, text}, r.out, r.err,
                             {{"PATCHBAY_TOKEN", pbtest::token}});
  return r;
}

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

  auto ok = chat(h.base, "hi");
  EXPECT_EQ(ok.rc, 0) << ok.err << h.logs();
  EXPECT_EQ(ok.out, "you said hi\n");
  EXPECT_EQ(ok.err, "");

  auto crash = chat(h.base, "crash-mid:3");
  EXPECT_EQ(crash.rc, 1) << crash.err;
  EXPECT_EQ(crash.out, "partial \n");
  EXPECT_NE(crash.err.find("The agent process exited with code 3 before finishing this answer."),
            std::string::npos)
      << crash.err;

  auto refused = chat(h.base, "hi again");
  EXPECT_EQ(refused.rc, 1);
  EXPECT_NE(refused.err.find("restarting, try again in"), std::string::npos) << refused.err;
}

TEST(ProcessAgentEndToEnd, ShutdownStopsTheProcessAndExitsZero) {
  host_fixture h("", agents_yaml);
  ASSERT_FALSE(h.base.empty()) << h.logs();
  auto r = chat(h.base, "pid");
  ASSERT_EQ(r.rc, 0) << r.err;
  const int pid = std::stoi(r.out);
  EXPECT_TRUE(proctest::process_alive(pid));
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0) << h.logs();
  EXPECT_TRUE(proctest::wait_gone(pid));
  EXPECT_NE(h.logs().find("stopping its process"), std::string::npos) << h.logs();
}

}  // namespace
