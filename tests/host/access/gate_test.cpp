// The access gate as a front stage: strangers, pairing, late messages, both over-limit modes and
// the counters, on injected clocks and a manual scheduler.
#include <gtest/gtest.h>

#include <map>

#include "access/gate.hpp"
#include "metrics/registry.hpp"
#include "patchbay/pb_messages.h"

namespace {
using namespace std::chrono_literals;
using kind = patchbay::turns::front_verdict::kind;

struct manual_scheduler : patchbay::turns::scheduler {
  std::chrono::milliseconds now{0};
  std::map<uint64_t, std::pair<std::chrono::milliseconds, std::function<void()>>> timers;
  uint64_t next = 1;
  uint64_t schedule(std::chrono::milliseconds delay, std::function<void()> fn) override {
    timers[next] = {now + delay, std::move(fn)};
    return next++;
  }
  void cancel(uint64_t id) override { timers.erase(id); }
  void advance(std::chrono::milliseconds by) {
    now += by;
    for (bool ran = true; ran;) {
      ran = false;
      for (auto it = timers.begin(); it != timers.end(); ++it)
        if (it->second.first <= now) {
          auto fn = std::move(it->second.second);
          timers.erase(it);
          fn();
          ran = true;
          break;
        }
    }
  }
};

struct gate_fixture : ::testing::Test {
  manual_scheduler sched;
  int64_t unix_ms = 1'700'000'000'000;
  patchbay::metrics::registry counts;
  std::map<std::string, std::string> kv;
  std::vector<std::string> resubmitted;
  std::unique_ptr<patchbay::access::gate> gate;

  void make(const patchbay::config::channel_config& ch) {
    patchbay::config::config cfg;
    cfg.channels.push_back(ch);
    auto book = std::make_shared<patchbay::access::pairing_book>(
        patchbay::access::kv_port{
            [this](const std::string& i, const std::string& k) -> std::optional<std::string> {
              auto it = kv.find(i + k);
              return it == kv.end() ? std::nullopt : std::optional(it->second);
            },
            [this](const std::string& i, const std::string& k, std::string v) {
              kv[i + k] = std::move(v);
            }},
        [this] { return unix_ms / 1000; }, [] { return std::string("ABCD2345"); });
    patchbay::access::gate::clocks c{[this] { return patchbay::access::steady_time(sched.now); },
                                     [this] { return unix_ms; }};
    gate = std::make_unique<patchbay::access::gate>(cfg, book, &counts, c);
    gate->attach(sched, [this](const std::string&, const patchbay::messages::inbound_message& m) {
      resubmitted.push_back(m.event_id);
      // what the turn service does: the message passes the gate again
      EXPECT_FALSE(check(m));
    });
  }
  std::optional<patchbay::turns::front_verdict> check(
      const patchbay::messages::inbound_message& m) {
    const std::string ch = "ch", platform = "fake";
    return gate->check(patchbay::turns::front_input{ch, platform, m});
  }
  static patchbay::messages::inbound_message dm(const std::string& sender, const std::string& ev) {
    patchbay::messages::inbound_message m;
    m.event_id = ev;
    m.conversation_kind = PB_CONVERSATION_DIRECT;
    m.conversation_id = "dm-" + sender;
    m.sender_id = sender;
    m.text = "hi";
    return m;
  }
  static patchbay::config::channel_config channel() {
    patchbay::config::channel_config ch;
    ch.id = "ch";
    return ch;
  }
  uint64_t refused() { return counts.channel("ch")->access_refused_count(); }
  uint64_t limited() { return counts.channel("ch")->rate_limited_count(); }
  uint64_t late() { return counts.channel("ch")->late_count(); }
};

TEST_F(gate_fixture, StrangerInAllowlistModeIsDroppedAndCounted) {
  auto ch = channel();  // the default: allowlist, empty
  ch.access.allow = {"friend"};
  make(ch);
  auto v = check(dm("stranger", "e1"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->what, kind::drop);
  EXPECT_TRUE(v->text.empty());
  EXPECT_EQ(refused(), 1U);
  EXPECT_FALSE(check(dm("friend", "e2")));  // passes to the next stage
  EXPECT_EQ(refused(), 1U);
}

TEST_F(gate_fixture, UnconfiguredChannelPasses) {
  make(channel());
  const std::string other = "other", platform = "fake";
  EXPECT_FALSE(gate->check(patchbay::turns::front_input{other, platform, dm("x", "e")}));
}

TEST_F(gate_fixture, PairingSendsACodeThatSaysNothingElse) {
  auto ch = channel();
  ch.access.dm = patchbay::config::dm_policy::pairing;
  make(ch);
  auto v = check(dm("u1", "e1"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->what, kind::host_answer);
  EXPECT_NE(v->text.find("ABCD2345"), std::string::npos);
  EXPECT_EQ(v->text.find("ch"), std::string::npos);  // no channel id, no owner
  auto again = check(dm("u1", "e2"));                // within the resend interval: silent
  ASSERT_TRUE(again);
  EXPECT_EQ(again->what, kind::drop);
  ASSERT_TRUE(gate->pairings().approve("abcd2345"));
  EXPECT_FALSE(check(dm("u1", "e3")));
}

TEST_F(gate_fixture, LateMessageGetsOneNotice) {
  make([] {
    auto ch = channel();
    ch.access.dm = patchbay::config::dm_policy::open;
    return ch;
  }());
  auto m = dm("u1", "e1");
  m.sent_at_unix_ms = unix_ms - 601'000;
  auto v = check(m);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->what, kind::host_answer);
  EXPECT_NE(v->text.find("late"), std::string::npos);
  m.event_id = "e2";
  v = check(m);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->what, kind::drop);
  EXPECT_EQ(late(), 2U);
  m.event_id = "e3";
  m.sent_at_unix_ms = unix_ms - 1000;  // fresh
  EXPECT_FALSE(check(m));
}

TEST_F(gate_fixture, LateMessagesAnsweredWhenConfigured) {
  auto ch = channel();
  ch.access.dm = patchbay::config::dm_policy::open;
  ch.late.answer = true;
  make(ch);
  auto m = dm("u1", "e1");
  m.sent_at_unix_ms = unix_ms - 3'600'000;
  EXPECT_FALSE(check(m));
  EXPECT_EQ(late(), 0U);
}

TEST_F(gate_fixture, OverLimitNoticeOnceThenSilent) {
  auto ch = channel();
  ch.access.dm = patchbay::config::dm_policy::open;
  ch.limits.per_sender = {6, 2};  // one per 10 s
  make(ch);
  EXPECT_FALSE(check(dm("u1", "e1")));
  EXPECT_FALSE(check(dm("u1", "e2")));
  auto v = check(dm("u1", "e3"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->what, kind::host_answer);
  EXPECT_NE(v->text.find("Too many messages"), std::string::npos);
  v = check(dm("u1", "e4"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->what, kind::drop);
  EXPECT_FALSE(check(dm("u2", "e5")));  // another sender has its own bucket
  EXPECT_EQ(limited(), 2U);
  sched.advance(10s);
  EXPECT_FALSE(check(dm("u1", "e6")));
}

TEST_F(gate_fixture, OverLimitQueueAdmitsInOrderWhenTokensFree) {
  auto ch = channel();
  ch.access.dm = patchbay::config::dm_policy::open;
  ch.limits.per_sender = {6, 1};  // one per 10 s
  ch.limits.over_limit = patchbay::config::over_limit_mode::queue;
  ch.limits.queue_max = 2;
  make(ch);
  EXPECT_FALSE(check(dm("u1", "e1")));
  for (const char* ev : {"e2", "e3"}) {
    auto v = check(dm("u1", ev));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->what, kind::hold);  // recorded by the turn service, handed back later
  }
  // Beyond the bound: told once (the rate notice), then dropped.
  auto full = check(dm("u1", "e4"));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->what, kind::host_answer);
  auto again = check(dm("u1", "e5"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->what, kind::drop);
  EXPECT_EQ(gate->queued("ch"), 2U);
  EXPECT_EQ(limited(), 4U);
  sched.advance(9s);
  EXPECT_TRUE(resubmitted.empty());
  sched.advance(1s);
  EXPECT_EQ(resubmitted, std::vector<std::string>{"e2"});
  sched.advance(10s);
  EXPECT_EQ(resubmitted, (std::vector<std::string>{"e2", "e3"}));
  EXPECT_EQ(gate->queued("ch"), 0U);
  EXPECT_TRUE(sched.timers.empty());
}

}  // namespace
