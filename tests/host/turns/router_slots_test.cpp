// The router's running slots (router_limits::max_running, host.admission.max_turns_in_flight) and
// an agent at its own concurrency limit: admitted turns beyond either wait, in order, and start
// when room appears; none of them is ended with a "busy" error. A manual scheduler stands in for
// the strand.
#include <gtest/gtest.h>

#include <map>

#include "router_fakes.hpp"
#include "turns/router.hpp"

namespace {
using namespace patchbay::turns;
using namespace std::chrono_literals;
using namespace router_fakes;
using strings = std::vector<std::string>;

struct RouterSlotsTest : ::testing::Test {
  manual_scheduler sched;
  fake_agents agents;
  std::map<std::string, events> ev;  // by turn id
  static router_limits limits() {
    router_limits l;
    l.max_running = 2;
    l.idle_timeout = 10s;
    l.agent_retry = 50ms;
    return l;
  }
  router r{sched, agents, limits()};
  admission admit(const std::string& id, const std::string& thread) {
    return r.admit(turn_spec{id, thread, "echo", "{}", std::make_unique<recording_output>(ev[id])});
  }
  void done(const std::string& id) {
    ASSERT_EQ(r.deliver("{\"turn\":\"" + id + "\",\"content\":\"ok\",\"done\":true}"), "");
  }
};

TEST_F(RouterSlotsTest, AtMostMaxRunningStartAndTheOthersWaitInOrder) {
  for (const char* id : {"a", "b", "c", "d"}) ASSERT_EQ(admit(id, id), admission::accepted);
  EXPECT_EQ(agents.started, (strings{"a", "b"}));
  EXPECT_EQ(r.load().running, 2U);
  EXPECT_EQ(r.load().queued, 2U);
  EXPECT_TRUE(ev["c"].log.empty());  // waiting, not refused
  done("b");
  EXPECT_EQ(agents.started, (strings{"a", "b", "c"}));
  done("a");
  EXPECT_EQ(agents.started, (strings{"a", "b", "c", "d"}));
  done("c");
  done("d");
  for (const char* id : {"a", "b", "c", "d"})
    EXPECT_EQ(ev[id].log, (strings{"content:ok", "complete"}));
  EXPECT_EQ(r.stats().refused, 0U);
}

TEST_F(RouterSlotsTest, AWaitingThreadKeepsItsOrderBehindItsRunningTurn) {
  ASSERT_EQ(admit("a1", "A"), admission::accepted);
  ASSERT_EQ(admit("b1", "B"), admission::accepted);
  ASSERT_EQ(admit("c1", "C"), admission::accepted);  // waits for a slot
  ASSERT_EQ(admit("a2", "A"), admission::accepted);  // waits behind a1
  done("a1");  // the freed slot goes to C, first in line; a2 queues for the next one
  EXPECT_EQ(agents.started, (strings{"a1", "b1", "c1"}));
  done("b1");
  EXPECT_EQ(agents.started, (strings{"a1", "b1", "c1", "a2"}));
}

TEST_F(RouterSlotsTest, AnAgentAtCapacityMakesTurnsWaitNotFail) {
  agents.full = true;
  ASSERT_EQ(admit("a", "A"), admission::accepted);
  ASSERT_EQ(admit("b", "B"), admission::accepted);
  EXPECT_TRUE(agents.started.empty());
  EXPECT_TRUE(ev["a"].log.empty());
  sched.advance(50);  // still full: asked again later, still nothing said to anyone
  EXPECT_TRUE(agents.started.empty());
  EXPECT_TRUE(ev["a"].log.empty());
  agents.full = false;
  sched.advance(50);
  EXPECT_EQ(agents.started, (strings{"a", "b"}));
  done("a");
  done("b");
  EXPECT_EQ(ev["a"].log, (strings{"content:ok", "complete"}));
  EXPECT_EQ(ev["b"].log, (strings{"content:ok", "complete"}));
}

TEST_F(RouterSlotsTest, AFinishedTurnLetsTheWaitingOnesTryTheAgentAgainAtOnce) {
  ASSERT_EQ(admit("a", "A"), admission::accepted);
  agents.full = true;
  ASSERT_EQ(admit("b", "B"), admission::accepted);
  EXPECT_EQ(agents.started, (strings{"a"}));
  agents.full = false;
  done("a");  // no timer needed: the end of a turn frees room on its agent
  EXPECT_EQ(agents.started, (strings{"a", "b"}));
}

TEST_F(RouterSlotsTest, FailAllEndsWaitingTurnsOnceWithoutStartingThem) {
  for (const char* id : {"a", "b", "c"}) ASSERT_EQ(admit(id, id), admission::accepted);
  agents.refuse = true;  // were "c" started during the shutdown, it would fail to start
  r.fail_all("bye");
  for (const char* id : {"a", "b", "c"}) EXPECT_EQ(ev[id].log, (strings{"error:bye"}));
  EXPECT_EQ(r.active(), 0U);
}

}  // namespace
