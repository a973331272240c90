// A turn's own deadlines (turn_deadlines, asked of its agent as it starts): an idle deadline other
// than the router's, and a total deadline that ends a turn whose agent keeps talking. Both end the
// turn with the router's timeout text, cancel the agent, and count as timed out. A manual scheduler
// stands in for the strand.
#include <gtest/gtest.h>

#include <map>

#include "router_fakes.hpp"
#include "turns/router.hpp"

namespace {
using namespace patchbay::turns;
using namespace std::chrono_literals;
using namespace router_fakes;
using strings = std::vector<std::string>;

struct RouterDeadlinesTest : ::testing::Test {
  manual_scheduler sched;
  fake_agents agents;
  std::map<std::string, events> ev;
  static router_limits limits() {
    router_limits l;
    l.idle_timeout = 1000ms;
    return l;
  }
  router r{sched, agents, limits()};
  void admit(const std::string& id) {
    ASSERT_EQ(r.admit(turn_spec{id, id, "cb", "{}", std::make_unique<recording_output>(ev[id])}),
              admission::accepted);
  }
  void delta(const std::string& id) {
    ASSERT_EQ(r.deliver("{\"turn\":\"" + id + "\",\"delta\":\".\"}"), "");
  }
  std::string timeout_line() const { return "error:" + limits().timeout_text; }
};

TEST_F(RouterDeadlinesTest, TheAgentsIdleDeadlineReplacesTheRouters) {
  agents.own_deadlines = {.idle = 5000ms, .total = 0ms};
  admit("a");
  sched.advance(4000);  // past the router's 1 s: still running
  EXPECT_TRUE(ev["a"].log.empty());
  delta("a");
  sched.advance(4999);  // re-armed by the payload
  EXPECT_EQ(ev["a"].log, (strings{"delta:."}));
  sched.advance(1);
  EXPECT_EQ(ev["a"].log, (strings{"delta:.", timeout_line()}));
  EXPECT_EQ(agents.cancelled, (strings{"a"}));
  EXPECT_EQ(r.stats().timed_out, 1U);
}

TEST_F(RouterDeadlinesTest, TheTotalDeadlineEndsATurnThatKeepsTalking) {
  agents.own_deadlines = {.idle = 0ms, .total = 2500ms};  // idle: the router's 1 s
  admit("a");
  for (int i = 0; i < 4; ++i) {
    sched.advance(600);
    delta("a");
  }
  EXPECT_EQ(ev["a"].log.size(), 4U);  // 2.4 s in: no deadline passed
  sched.advance(100);
  ASSERT_EQ(ev["a"].log.size(), 5U);
  EXPECT_EQ(ev["a"].log.back(), timeout_line());
  EXPECT_EQ(agents.cancelled, (strings{"a"}));
  EXPECT_EQ(r.stats().timed_out, 1U);
  sched.advance(10'000);  // no second terminal from the idle timer
  EXPECT_EQ(ev["a"].log.size(), 5U);
}

TEST_F(RouterDeadlinesTest, ATurnThatFinishesInTimeLeavesNoTimerBehind) {
  agents.own_deadlines = {.idle = 0ms, .total = 2000ms};
  admit("a");
  ASSERT_EQ(r.deliver(R"({"turn":"a","content":"ok","done":true})"), "");
  sched.advance(5000);
  EXPECT_EQ(ev["a"].log, (strings{"content:ok", "complete"}));
  EXPECT_TRUE(agents.cancelled.empty());
  EXPECT_EQ(r.stats().timed_out, 0U);
}

TEST_F(RouterDeadlinesTest, WithoutOwnDeadlinesTheRoutersIdleTimeoutApplies) {
  admit("a");
  sched.advance(999);
  EXPECT_TRUE(ev["a"].log.empty());
  sched.advance(1);
  EXPECT_EQ(ev["a"].log, (strings{timeout_line()}));
}

}  // namespace
