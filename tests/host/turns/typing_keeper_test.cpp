// The typing keeper (turns/typing_keeper.hpp): START when a turn runs, refreshes while it runs,
// STOP exactly once at its end (only for plugins that understand STOP), never two calls of one
// turn at once, and a channel paused after rate-limit/permission failures.
#include "turns/typing_keeper.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "router_fakes.hpp"

namespace patchbay::turns {
namespace {

using router_fakes::events;
using router_fakes::manual_scheduler;
using router_fakes::recording_output;

struct call {
  std::string channel;
  messages::typing_request req;
  typing_keeper::done_fn done;
};

struct rig {
  manual_scheduler sched;
  std::deque<call> calls;         // typing calls not yet answered
  std::vector<std::string> seen;  // "<channel>:<start|stop>:<message>"
  typing_keeper keeper{
      sched,
      [this](const std::string& ch, messages::typing_request r, typing_keeper::done_fn d) {
        seen.push_back(ch + ":" + (r.action == PB_TYPING_STOP ? "stop" : "start") + ":" +
                       r.message_id);
        calls.push_back({ch, std::move(r), std::move(d)});
      },
      {std::chrono::milliseconds(5000), std::chrono::milliseconds(60000),
       [this] { return sched.now; }}};

  static typing_target target(const std::string& msg, bool can_stop = true,
                              const std::string& channel = "ch") {
    typing_target t;
    t.channel_id = channel;
    t.request.conversation_id = "conv";
    t.request.user_id = "u1";
    t.request.message_id = msg;
    t.can_stop = can_stop;
    return t;
  }
  void answer_all(int32_t code = PB_OK, int64_t retry_after = 0) {
    while (!calls.empty()) {
      auto c = std::move(calls.front());
      calls.pop_front();
      c.done(messages::op_result{code, code == PB_OK ? "" : "nope", retry_after, {}});
    }
  }
};

TEST(TypingKeeper, StartRefreshStopOnce) {
  rig r;
  events ev;
  ASSERT_TRUE(r.keeper.expect("t1", rig::target("m1")));
  auto out = r.keeper.wrap("t1", std::make_unique<recording_output>(ev));
  EXPECT_TRUE(r.seen.empty());  // admitted, not running: nothing yet
  r.keeper.started("t1");
  ASSERT_EQ(r.seen, (std::vector<std::string>{"ch:start:m1"}));
  EXPECT_EQ(r.calls.front().req.user_id, "u1");
  r.answer_all();
  r.sched.advance(5000);
  r.answer_all();
  r.sched.advance(5000);
  r.answer_all();
  EXPECT_EQ(r.seen.size(), 3u);  // START + two refreshes
  out->complete();
  r.answer_all();
  out.reset();
  EXPECT_EQ(r.seen.back(), "ch:stop:m1");
  EXPECT_EQ(r.seen.size(), 4u);
  EXPECT_EQ(ev.log, (std::vector<std::string>{"complete"}));
  EXPECT_EQ(r.keeper.tracked(), 0u);
  EXPECT_TRUE(r.sched.timers.empty());  // no timer while no turn runs
  r.sched.advance(60000);
  EXPECT_EQ(r.seen.size(), 4u);
}

TEST(TypingKeeper, StopWaitsForTheStartInFlight) {
  rig r;
  events ev;
  r.keeper.expect("t1", rig::target("m1"));
  auto out = r.keeper.wrap("t1", std::make_unique<recording_output>(ev));
  r.keeper.started("t1");
  r.sched.advance(5000);  // refresh while the START is out: skipped
  EXPECT_EQ(r.seen.size(), 1u);
  out->error("boom");  // the turn ends with its START still out
  EXPECT_EQ(r.seen.size(), 1u);
  r.answer_all();  // START completes → STOP goes now
  ASSERT_EQ(r.seen, (std::vector<std::string>{"ch:start:m1", "ch:stop:m1"}));
  r.answer_all();
  EXPECT_EQ(r.keeper.tracked(), 0u);
}

TEST(TypingKeeper, NoStopToAnOldPlugin) {
  rig r;
  events ev;
  r.keeper.expect("t1", rig::target("m1", /*can_stop=*/false));
  auto out = r.keeper.wrap("t1", std::make_unique<recording_output>(ev));
  r.keeper.started("t1");
  r.answer_all();
  out->complete();
  r.answer_all();
  r.sched.advance(20000);
  EXPECT_EQ(r.seen, (std::vector<std::string>{"ch:start:m1"}));
  EXPECT_EQ(r.keeper.tracked(), 0u);
}

TEST(TypingKeeper, NoStopForATurnThatNeverRan) {
  rig r;
  events ev;
  r.keeper.expect("t1", rig::target("m1"));
  auto out = r.keeper.wrap("t1", std::make_unique<recording_output>(ev));
  out->error("busy");  // refused at admission, or the agent could not start
  EXPECT_TRUE(r.seen.empty());
  EXPECT_EQ(r.keeper.tracked(), 0u);
  // A duplicate is forgotten without a call, and a known id is not taken twice.
  EXPECT_TRUE(r.keeper.expect("t2", rig::target("m2")));
  EXPECT_FALSE(r.keeper.expect("t2", rig::target("m3")));
  r.keeper.forget("t2");
  EXPECT_EQ(r.keeper.tracked(), 0u);
  EXPECT_TRUE(r.seen.empty());
}

TEST(TypingKeeper, RateLimitPausesTheChannelButStopStillGoes) {
  rig r;
  events ev1, ev2, ev3;
  r.keeper.expect("t1", rig::target("m1"));
  auto out1 = r.keeper.wrap("t1", std::make_unique<recording_output>(ev1));
  r.keeper.started("t1");
  r.answer_all(PB_ERR_RATE_LIMITED);
  EXPECT_EQ(r.keeper.paused_until("ch"), 60000);
  r.sched.advance(5000);  // refresh: paused
  EXPECT_EQ(r.seen.size(), 1u);
  // Another turn on the same channel sends nothing; another channel is not paused.
  r.keeper.expect("t2", rig::target("m2"));
  auto out2 = r.keeper.wrap("t2", std::make_unique<recording_output>(ev2));
  r.keeper.started("t2");
  r.keeper.expect("t3", rig::target("m3", true, "other"));
  auto out3 = r.keeper.wrap("t3", std::make_unique<recording_output>(ev3));
  r.keeper.started("t3");
  EXPECT_EQ(r.seen, (std::vector<std::string>{"ch:start:m1", "other:start:m3"}));
  r.answer_all();
  out1->complete();  // t1 sent START: its STOP still goes
  out2->complete();  // t2 never sent START: no STOP
  r.answer_all();
  EXPECT_EQ(r.seen.back(), "ch:stop:m1");
  EXPECT_EQ(r.seen.size(), 3u);
  // After the pause, START again.
  r.sched.advance(60000);
  r.keeper.expect("t4", rig::target("m4"));
  r.keeper.started("t4");
  EXPECT_EQ(r.seen.back(), "ch:start:m4");
  out3->complete();
  r.answer_all();
}

TEST(TypingKeeper, PlatformRetryAfterLongerThanTheBackoffWins) {
  rig r;
  r.keeper.expect("t1", rig::target("m1"));
  r.keeper.started("t1");
  r.answer_all(PB_ERR_REJECTED, 120000);
  EXPECT_EQ(r.keeper.paused_until("ch"), 120000);
  r.keeper.ended("t1");
  r.answer_all();
}

TEST(TypingKeeper, OtherFailuresDoNotPause) {
  rig r;
  r.keeper.expect("t1", rig::target("m1"));
  r.keeper.started("t1");
  r.answer_all(PB_ERR_RETRYABLE);
  EXPECT_EQ(r.keeper.paused_until("ch"), 0);
  r.sched.advance(5000);
  EXPECT_EQ(r.seen.size(), 2u);  // refreshed
  r.answer_all();
  r.keeper.ended("t1");
  r.answer_all();
  EXPECT_EQ(r.seen.back(), "ch:stop:m1");
}

TEST(TypingKeeper, ALateAnswerAfterTheKeeperIsGoneIsIgnored) {
  std::deque<call> calls;
  manual_scheduler sched;
  {
    typing_keeper k(
        sched,
        [&](const std::string& ch, messages::typing_request rq, typing_keeper::done_fn d) {
          calls.push_back({ch, std::move(rq), std::move(d)});
        },
        {});
    k.expect("t1", rig::target("m1"));
    k.started("t1");
  }
  EXPECT_TRUE(sched.timers.empty());
  ASSERT_EQ(calls.size(), 1u);
  calls.front().done(messages::op_result{});  // must not touch the gone keeper
}

}  // namespace
}  // namespace patchbay::turns
