// The router's turns as metrics (turn_meter): started / finished by outcome / refused, time to
// first output and duration on an injected clock, agent errors by kind, and the router's load as
// other threads read it. The router runs on a manual scheduler (router_fakes.hpp).
#include <gtest/gtest.h>

#include "router_fakes.hpp"
#include "turns/turn_meter.hpp"

namespace {
using namespace patchbay::turns;
using namespace std::chrono_literals;
using namespace router_fakes;
namespace m = patchbay::metrics;

struct TurnMeterTest : ::testing::Test {
  manual_scheduler sched;
  fake_agents agents;
  std::map<std::string, events> ev;
  m::registry reg;
  std::chrono::steady_clock::time_point now{};
  turn_meter meter{reg, [this] { return now; }};
  router_limits limits() {
    router_limits l;
    l.max_queued_per_thread = 1;
    l.max_turns = 4;
    l.idle_timeout = 10s;
    return l;
  }
  router r{sched, agents, limits(), &meter};
  admission admit(const std::string& id, const std::string& thread = "th") {
    return r.admit(turn_spec{id, thread, "echo", "{}", std::make_unique<recording_output>(ev[id])});
  }
  void deliver(const std::string& turn, const std::string& body) {
    ASSERT_EQ(r.deliver("{\"turn\":\"" + turn + "\"," + body + "}"), "");
  }
  // Observations at or below `le` seconds (cumulative bucket), from a histogram snapshot.
  static uint64_t at_or_below(const m::histogram::snapshot& s, double le) {
    for (std::size_t i = 0; i < s.bounds.size(); ++i)
      if (s.bounds[i] == le) return s.cumulative[i];
    return ~uint64_t{0};
  }
  uint64_t agent_errors(m::agent_error_kind k) { return reg.agent("echo")->errors(k); }
};

TEST_F(TurnMeterTest, ACompletedTurnIsTimedFromAdmission) {
  ASSERT_EQ(admit("t1"), admission::accepted);
  now += 200ms;
  deliver("t1", R"("delta":"hel")");
  now += 1300ms;
  deliver("t1", R"("delta":"lo")");  // not a first output any more
  deliver("t1", R"("done":true)");
  const auto& t = reg.turns();
  EXPECT_EQ(t.started.value(), 1u);
  EXPECT_EQ(t.completed.value(), 1u);
  EXPECT_EQ(t.errored.value() + t.timed_out.value() + t.refused.value(), 0u);
  auto first = t.first_output.read();
  EXPECT_EQ(first.count, 1u);
  EXPECT_EQ(at_or_below(first, 0.1), 0u);
  EXPECT_EQ(at_or_below(first, 0.25), 1u);
  EXPECT_DOUBLE_EQ(first.sum_seconds, 0.2);
  auto dur = t.duration.read();
  EXPECT_EQ(dur.count, 1u);
  EXPECT_EQ(at_or_below(dur, 1), 0u);
  EXPECT_EQ(at_or_below(dur, 2.5), 1u);
  EXPECT_DOUBLE_EQ(dur.sum_seconds, 1.5);
  for (auto k : m::all_agent_error_kinds) EXPECT_EQ(agent_errors(k), 0u);
}

TEST_F(TurnMeterTest, EachWayATurnEndsIsCountedOnceWithItsAgentErrorKind) {
  admit("err", "a");
  deliver("err", R"("error":"model overloaded")");  // no output before: no first-output sample
  admit("silent", "b");
  sched.advance(10'000);  // idle deadline
  admit("crash", "c");
  r.fail("crash", "the agent crashed");  // the turn service counts backend failures itself
  agents.refuse = true;
  admit("nostart", "d");
  agents.refuse = false;
  const auto& t = reg.turns();
  EXPECT_EQ(t.started.value(), 4u);
  EXPECT_EQ(t.completed.value(), 0u);
  EXPECT_EQ(t.timed_out.value(), 1u);
  EXPECT_EQ(t.errored.value(), 3u);
  EXPECT_EQ(t.first_output.read().count, 0u);
  EXPECT_EQ(t.duration.read().count, 4u);
  EXPECT_EQ(agent_errors(m::agent_error_kind::error_answer), 1u);
  EXPECT_EQ(agent_errors(m::agent_error_kind::timeout), 1u);
  EXPECT_EQ(agent_errors(m::agent_error_kind::start_refused), 1u);
  EXPECT_EQ(agent_errors(m::agent_error_kind::failure), 0u);
}

TEST_F(TurnMeterTest, RefusedTurnsAndTheRouterLoad) {
  admit("t1");  // running
  admit("t2");  // queued behind t1
  EXPECT_EQ(r.load().running, 1u);
  EXPECT_EQ(r.load().queued, 1u);
  EXPECT_EQ(admit("t3"), admission::thread_full);
  EXPECT_EQ(admit("t1"), admission::duplicate_turn);  // a redelivery: not a refusal
  EXPECT_EQ(reg.turns().refused.value(), 1u);
  EXPECT_EQ(reg.turns().started.value(), 2u);
  deliver("t1", R"("done":true)");  // t2 starts
  EXPECT_EQ(r.load().running, 1u);
  EXPECT_EQ(r.load().queued, 0u);
  r.fail_all("shutting down");
  EXPECT_EQ(r.load().running + r.load().queued, 0u);
  const auto& t = reg.turns();
  // Every started turn ended exactly once.
  EXPECT_EQ(t.completed.value() + t.errored.value() + t.timed_out.value(), t.started.value());
}

}  // namespace
