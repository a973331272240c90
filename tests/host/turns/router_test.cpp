// The turn router: every branch of the routing invariant, ordering per thread, bounded queues,
// idle timeout, malformed payloads, duplicates. A manual scheduler stands in for the strand.
#include <gtest/gtest.h>

#include <map>

#include "router_fakes.hpp"
#include "turns/router.hpp"

namespace {
using namespace patchbay::turns;
using namespace std::chrono_literals;
using namespace router_fakes;

struct RouterTest : ::testing::Test {
  manual_scheduler sched;
  fake_agents agents;
  std::map<std::string, events> ev;  // by turn id
  router_limits limits() {
    router_limits l;
    l.max_queued_per_thread = 2;
    l.max_turns = 5;
    l.idle_timeout = 10s;
    return l;
  }
  router r{sched, agents, limits()};
  admission admit(const std::string& id, const std::string& thread = "th") {
    return r.admit(turn_spec{id, thread, "echo", "{}", std::make_unique<recording_output>(ev[id])});
  }
  static std::string payload(const std::string& turn, const std::string& body) {
    return "{\"turn\":\"" + turn + "\"," + body + "}";
  }
};

TEST_F(RouterTest, EveryPayloadKindReachesTheOutputAndDoneCompletes) {
  ASSERT_EQ(admit("t1"), admission::accepted);
  EXPECT_EQ(r.deliver(payload("t1", R"("delta":"Hel")")), "");
  EXPECT_EQ(r.deliver(payload("t1", R"("delta":"lo")")), "");
  EXPECT_EQ(r.deliver(payload("t1", R"("content":"a notice")")), "");
  EXPECT_EQ(r.deliver(payload("t1", R"("content":"psst","ephemeral":true)")), "");
  EXPECT_EQ(r.deliver(payload("t1", R"("delta":"!","done":true)")), "");
  EXPECT_EQ(ev["t1"].log, (std::vector<std::string>{"delta:Hel", "delta:lo", "content:a notice",
                                                    "ephemeral:psst", "delta:!", "complete"}));
  EXPECT_EQ(r.active(), 0u);
  EXPECT_EQ(r.stats().completed, 1u);
}

TEST_F(RouterTest, ErrorIsTerminalAndASecondTerminalIsIgnoredAndCounted) {
  admit("t1");
  r.deliver(payload("t1", R"("delta":"part")"));
  r.deliver(payload("t1", R"("error":"model overloaded")"));
  EXPECT_EQ(r.deliver(payload("t1", R"("done":true)")), "turn already ended");
  r.fail("t1", "crashed too");
  EXPECT_EQ(ev["t1"].log, (std::vector<std::string>{"delta:part", "error:model overloaded"}));
  EXPECT_EQ(r.stats().duplicate_terminal, 2u);
  EXPECT_EQ(r.stats().errored, 1u);
}

TEST_F(RouterTest, MalformedPayloadsAreRejectedWithAReasonAndTheTurnGoesOn) {
  admit("t1");
  EXPECT_NE(r.deliver("{not json"), "");
  EXPECT_EQ(r.deliver("[1,2]"), "payload must be a JSON object");
  EXPECT_EQ(r.deliver(R"({"delta":"x"})"), "`turn` is required");
  EXPECT_EQ(r.deliver(payload("t1", R"("delta":5)")), "`delta` must be a string");
  EXPECT_EQ(r.deliver(payload("t1", R"("done":"yes")")), "`done` must be a boolean");
  EXPECT_EQ(r.deliver(payload("t1", R"("error":"x","done":true)")),
            "`error` and `done` exclude each other");
  EXPECT_EQ(r.deliver(payload("t1", R"("other":1)")),
            "payload carries none of delta, content, attachment, error, done");
  EXPECT_EQ(r.deliver(payload("nope", R"("done":true)")), "unknown turn");
  std::string huge = payload("t1", "\"delta\":\"" + std::string(1 << 20, 'a') + "\"");
  EXPECT_NE(r.deliver(huge).find("exceeds the 1 MiB limit"), std::string::npos);
  EXPECT_TRUE(ev["t1"].log.empty());
  EXPECT_EQ(r.stats().rejected_payloads, 8u);
  EXPECT_EQ(r.stats().unknown_turn, 1u);
  r.deliver(payload("t1", R"("done":true)"));
  EXPECT_EQ(ev["t1"].log, std::vector<std::string>{"complete"});
}

TEST_F(RouterTest, TurnsOfOneThreadRunInOrderOthersConcurrently) {
  admit("a1", "A");
  admit("a2", "A");
  admit("b1", "B");
  EXPECT_EQ(agents.started, (std::vector<std::string>{"a1", "b1"}));
  EXPECT_EQ(r.deliver(payload("a2", R"("delta":"too early")")), "unknown turn");  // not running
  r.deliver(payload("a1", R"("done":true)"));
  EXPECT_EQ(agents.started, (std::vector<std::string>{"a1", "b1", "a2"}));
}

TEST_F(RouterTest, QueuesAreBounded) {
  EXPECT_EQ(admit("t1"), admission::accepted);  // running
  EXPECT_EQ(admit("t2"), admission::accepted);
  EXPECT_EQ(admit("t3"), admission::accepted);
  EXPECT_EQ(admit("t4"), admission::thread_full);
  EXPECT_EQ(admit("u1", "other"), admission::accepted);
  EXPECT_EQ(admit("v1", "third"), admission::accepted);
  EXPECT_EQ(admit("w1", "fourth"), admission::router_full);
  EXPECT_EQ(admit("t1"), admission::duplicate_turn);
  EXPECT_EQ(r.stats().refused, 3u);
  // A refused turn still ends with its one terminal event, so the user hears why.
  EXPECT_EQ(ev["t4"].log, std::vector<std::string>{"error:" + limits().busy_text});
  EXPECT_EQ(ev["w1"].log, std::vector<std::string>{"error:" + limits().busy_text});
}

TEST_F(RouterTest, FailAllEndsRunningAndQueuedTurnsOnce) {
  admit("t1");
  admit("t2");
  admit("u1", "other");
  r.fail_all("The gateway is restarting.");
  for (const char* id : {"t1", "t2", "u1"})
    EXPECT_EQ(ev[id].log, std::vector<std::string>{"error:The gateway is restarting."}) << id;
  EXPECT_EQ(r.active(), 0u);
  EXPECT_TRUE(sched.timers.empty());
}

TEST_F(RouterTest, SilentAgentEndsTheTurnWithAnErrorTheUserSees) {
  admit("t1");
  admit("t2");
  sched.advance(5000);
  r.deliver(payload("t1", R"("delta":"thinking")"));  // activity re-arms the deadline
  sched.advance(9999);
  EXPECT_EQ(ev["t1"].log.size(), 1u);
  sched.advance(1);
  ASSERT_EQ(ev["t1"].log.size(), 2u);
  EXPECT_EQ(ev["t1"].log[1], "error:The agent did not answer in time. Please try again.");
  EXPECT_EQ(agents.cancelled, std::vector<std::string>{"t1"});
  EXPECT_EQ(agents.started.back(), "t2");  // the thread moves on
  EXPECT_EQ(r.stats().timed_out, 1u);
}

TEST_F(RouterTest, AgentThatCannotStartEndsTheTurnOnceAndTheThreadMovesOn) {
  agents.refuse = true;
  admit("t1");
  EXPECT_EQ(ev["t1"].log, std::vector<std::string>{"error:spawn failed: no such file"});
  agents.refuse = false;
  admit("t2");
  EXPECT_EQ(agents.started, std::vector<std::string>{"t2"});
  sched.advance(60000);  // no stale timer of t1 fires
  EXPECT_EQ(ev["t1"].log.size(), 1u);
}

// An output still delivering after its terminal event (final edits, retries) holds the thread.
class slow_output final : public turn_output {
 public:
  std::function<void()> rendered_fn;
  bool done = false;
  void delta(std::string_view) override {}
  void content(std::string_view, bool) override {}
  void attachment(const attachment_spec&) override {}
  void error(std::string_view) override {}
  void complete() override {}
  bool rendered() const override { return done; }
  void when_rendered(std::function<void()> fn) override { rendered_fn = std::move(fn); }
};

TEST_F(RouterTest, NextTurnOfAThreadWaitsUntilThePreviousOneIsRendered) {
  auto out = std::make_unique<slow_output>();
  slow_output* slow = out.get();
  ASSERT_EQ(r.admit(turn_spec{"t1", "th", "echo", "{}", std::move(out)}), admission::accepted);
  admit("t2");
  admit("other", "th2");
  r.deliver(payload("t1", R"("done":true)"));
  EXPECT_EQ(agents.started, (std::vector<std::string>{"t1", "other"}));  // t2 waits
  EXPECT_EQ(r.load().rendering, 1u);  // ended, still delivering: host.admission counts it
  ASSERT_TRUE(slow->rendered_fn);
  slow->done = true;
  auto fn = std::move(slow->rendered_fn);  // as a real output does: the router may free it
  fn();
  EXPECT_EQ(agents.started, (std::vector<std::string>{"t1", "other", "t2"}));
  EXPECT_EQ(r.load().rendering, 0u);
  r.deliver(payload("t2", R"("done":true)"));
  EXPECT_EQ(r.active(), 1u);  // only "other"
}

TEST_F(RouterTest, FailEndsARunningTurnExactlyOnce) {
  admit("t1");
  r.fail("t1", "agent process exited with code 3");
  r.fail("t1", "agent process exited with code 3");
  EXPECT_EQ(ev["t1"].log, std::vector<std::string>{"error:agent process exited with code 3"});
  sched.advance(120000);
  EXPECT_EQ(ev["t1"].log.size(), 1u);
}

}  // namespace

namespace {

TEST_F(RouterTest, StopCancelsTheAgentAndEndsTheTurnWithOneTerminal) {
  ASSERT_EQ(admit("t1",
                  "ch\x1f"
                  "conv\x1f"),
            admission::accepted);
  ASSERT_EQ(admit("t2",
                  "ch\x1f"
                  "conv\x1f"),
            admission::accepted);  // queued behind t1
  r.deliver(payload("t1", R"("delta":"half an ans")"));
  ASSERT_TRUE(r.stop("t1", "Stopped."));
  EXPECT_EQ(agents.cancelled, std::vector<std::string>{"t1"});
  EXPECT_EQ(ev["t1"].log, (std::vector<std::string>{"delta:half an ans", "error:Stopped."}));
  // The agent's late terminal is ignored; a second stop finds nothing.
  EXPECT_EQ(r.deliver(payload("t1", R"("done":true)")), "turn already ended");
  EXPECT_FALSE(r.stop("t1", "Stopped."));
  EXPECT_EQ(ev["t1"].log.size(), 2u);
  // The next turn of the thread starts; a queued turn cannot be stopped.
  EXPECT_EQ(agents.started, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_FALSE(r.stop("nope", "Stopped."));
}

TEST_F(RouterTest, RunningInFindsTheThreadAndItsEpochsOnly) {
  admit("a",
        "ch\x1f"
        "c1\x1f");
  admit("b",
        "ch\x1f"
        "c1\x1f\x1f"
        "e1");
  admit("c",
        "ch\x1f"
        "c1\x1f"
        "t");  // another thread id: not part of thread ""
  admit("d",
        "ch\x1f"
        "c10\x1f");  // another conversation sharing the prefix
  admit("q",
        "ch\x1f"
        "c1\x1f");  // queued behind a: not running
  std::vector<std::string> ids;
  for (const auto* t : r.running_in("ch\x1f"
                                    "c1\x1f"))
    ids.push_back(t->turn_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.running_in("ch\x1f"
                           "c2\x1f")
                  .empty());
}

}  // namespace
