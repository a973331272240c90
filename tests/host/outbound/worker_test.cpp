// The outbound worker (outbound/worker.hpp) over the SQLite queue on a temp file, a scripted fake
// platform and a manual scheduler: durable before attempted, order per ordering key, rate limits
// waited out without counting, the retry budget and dead letters, final classes dead at once,
// token_used resent without the token, the per-channel cap, operator retry/drop, and rows of a
// previous run resumed with the same payload.
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>

#include "outbound/worker.hpp"
#include "patchbay/pb_messages.h"
#include "patchbay/pb_types.h"
#include "router_fakes.hpp"
#include "state/store.hpp"

namespace {
using namespace patchbay;
using namespace std::chrono_literals;
using state::outbound_kind;
using state::outbound_state;

struct call {
  std::string instance;
  bool is_edit = false;
  messages::outbound_message msg;
  messages::edit_request req;
  outbound::op_done done;
};

class fake_platform final : public outbound::op_sink {
 public:
  std::deque<call> pending;
  std::vector<call> history;
  bool up = true;
  bool available(const std::string&) override { return up; }
  void send(const std::string& inst, messages::outbound_message m, outbound::op_done d) override {
    call c{inst, false, std::move(m), {}, std::move(d)};
    history.push_back(c);
    pending.push_back(std::move(c));
  }
  void edit(const std::string& inst, messages::edit_request r, outbound::op_done d) override {
    call c{inst, true, {}, std::move(r), std::move(d)};
    history.push_back(c);
    pending.push_back(std::move(c));
  }
  void answer(messages::op_result r) {
    ASSERT_FALSE(pending.empty());
    call c = std::move(pending.front());
    pending.pop_front();
    c.done(r);
  }
  void ok(const std::string& id = "m1") { answer(messages::op_result{PB_OK, "", 0, id}); }
  void fail(int32_t code, int64_t retry_after = 0) {
    answer(messages::op_result{code, "nope", retry_after, {}});
  }
};

struct WorkerTest : ::testing::Test {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("pb_worker_" + std::to_string(::getpid()) + "_" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::unique_ptr<state::store> store;
  router_fakes::manual_scheduler sched;
  fake_platform platform;
  std::mutex mu;
  std::deque<std::function<void()>> posted;
  std::unique_ptr<outbound::worker> w;
  std::vector<messages::op_result> results;

  void SetUp() override {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    reopen();
  }
  void TearDown() override {
    w.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  void reopen(outbound::worker_policy p = {}) {
    w.reset();
    store.reset();
    store = state::open_sqlite_store((dir / "state.db").string());
    outbound::worker_env env;
    env.sched = &sched;
    env.post = [this](std::function<void()> fn) {
      std::lock_guard lk(mu);
      posted.push_back(std::move(fn));
    };
    env.now_ms = [this] { return 1'700'000'000'000 + sched.now; };
    env.random01 = [] { return 0.5; };
    w = std::make_unique<outbound::worker>(env, store->outbound(), platform, p);
  }
  // Waits until every queued store write completed, then runs what was posted.
  void settle() {
    std::promise<void> p;
    store->kv_set("t", "sync", "x", [&](const std::string&) { p.set_value(); });
    p.get_future().wait();
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard lk(mu);
        if (posted.empty()) return;
        fn = std::move(posted.front());
        posted.pop_front();
      }
      fn();
    }
  }
  int64_t submit(const std::string& key, const std::string& text, const std::string& token = "",
                 const std::string& instance = "ch") {
    state::outbound_row r;
    r.instance = instance;
    r.ordering_key = key;
    r.turn_id = "ch:e-" + text;
    r.kind = outbound_kind::send;
    r.idempotency_key = r.turn_id + "#1";
    messages::outbound_op op;
    op.send.conversation_id = "C";
    op.send.text = text;
    op.send.reply_context = token;
    op.send.turn_id = r.turn_id;
    return w->submit(r, op, [this](const messages::op_result& res) { results.push_back(res); });
  }
};

TEST_F(WorkerTest, AnOpIsAttemptedOnlyOnceDurableAndRemovedOnceConfirmed) {
  int64_t id = submit("k", "hello");
  ASSERT_NE(id, 0);
  EXPECT_TRUE(platform.history.empty());  // the write has not been confirmed on our context
  settle();
  ASSERT_EQ(platform.pending.size(), 1u);
  EXPECT_EQ(platform.pending[0].msg.text, "hello");
  EXPECT_EQ(store->outbound().row(id)->state, outbound_state::in_flight);
  platform.ok("msg-1");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[0].message_id, "msg-1");
  EXPECT_FALSE(store->outbound().row(id));
}

TEST_F(WorkerTest, OpsOfOneOrderingKeyGoOneAfterAnotherOtherKeysDoNotWait) {
  submit("thread-a", "a1");
  submit("thread-a", "a2");
  submit("thread-b", "b1");
  settle();
  ASSERT_EQ(platform.pending.size(), 2u);  // a1 and b1; a2 waits for a1
  EXPECT_EQ(platform.pending[0].msg.text, "a1");
  EXPECT_EQ(platform.pending[1].msg.text, "b1");
  platform.ok();
  ASSERT_EQ(platform.pending.size(), 2u);
  EXPECT_EQ(platform.pending[1].msg.text, "a2");
}

TEST_F(WorkerTest, RateLimitsAreWaitedOutAsOftenAsItTakesAndNeverCounted) {
  outbound::worker_policy p;
  p.max_attempts = 2;
  reopen(p);
  int64_t id = submit("k", "paced");
  settle();
  for (int i = 0; i < 20; ++i) {
    platform.fail(PB_ERR_RATE_LIMITED, 3000);
    EXPECT_TRUE(platform.pending.empty());
    sched.advance(2999);
    EXPECT_TRUE(platform.pending.empty()) << "tried before retry-after";
    sched.advance(1);
    ASSERT_EQ(platform.pending.size(), 1u) << i;
  }
  EXPECT_EQ(store->outbound().row(id)->attempts, 0);
  platform.ok();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(platform.history.size(), 21u);
}

TEST_F(WorkerTest, RetryableFailuresBackOffThenTheRowIsADeadLetterAndTheLaneMovesOn) {
  outbound::worker_policy p;
  p.max_attempts = 3;
  reopen(p);
  int64_t id = submit("k", "doomed");
  submit("k", "next");
  settle();
  platform.fail(PB_ERR_RETRYABLE);
  sched.advance(375);  // base 500 · 2^0 · (0.5 + 0.5·0.5)
  ASSERT_EQ(platform.pending.size(), 1u);
  platform.fail(PB_ERR_RETRYABLE);
  sched.advance(749);
  EXPECT_TRUE(platform.pending.empty());
  sched.advance(1);
  ASSERT_EQ(platform.pending.size(), 1u);
  platform.fail(PB_ERR_RETRYABLE);  // the third failed attempt: dead
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].code, PB_ERR_RETRYABLE);
  auto row = store->outbound().row(id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, outbound_state::dead);
  EXPECT_EQ(row->attempts, 3);
  EXPECT_EQ(row->last_error, "retryable: nope");
  ASSERT_EQ(platform.pending.size(), 1u);  // the next op of the lane goes
  EXPECT_EQ(platform.pending[0].msg.text, "next");
  platform.ok();

  // An operator retries the dead letter: tried again, and delivered.
  EXPECT_EQ(w->retry(id), "");
  ASSERT_EQ(platform.pending.size(), 1u);
  EXPECT_EQ(platform.pending[0].msg.text, "doomed");
  platform.ok();
  EXPECT_FALSE(store->outbound().row(id));
  EXPECT_NE(w->retry(id), "");
}

TEST_F(WorkerTest, FinalClassesAreDeadAtOnceAndCanBeDropped) {
  int64_t id = submit("k", "refused");
  settle();
  platform.fail(PB_ERR_REJECTED);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].code, PB_ERR_REJECTED);
  EXPECT_EQ(store->outbound().row(id)->state, outbound_state::dead);
  EXPECT_EQ(platform.history.size(), 1u);
  EXPECT_EQ(w->drop(id), "");
  EXPECT_FALSE(store->outbound().row(id));
}

TEST_F(WorkerTest, DroppingAWaitingOpTellsItsCallerAndTheLaneMovesOn) {
  int64_t id = submit("k", "waits");
  submit("k", "after");
  settle();
  platform.fail(PB_ERR_RATE_LIMITED, 60'000);
  EXPECT_EQ(w->drop(id), "");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].code, PB_ERR_REJECTED);
  ASSERT_EQ(platform.pending.size(), 1u);
  EXPECT_EQ(platform.pending[0].msg.text, "after");
  EXPECT_NE(w->drop(platform.history.size() + 100), "");  // unknown id
}

TEST_F(WorkerTest, TokenUsedIsSentOnceMoreWithoutTheToken) {
  submit("k", "with token", "TOKEN");
  settle();
  EXPECT_EQ(platform.pending[0].msg.reply_context, "TOKEN");
  platform.fail(PB_ERR_TOKEN_USED);
  ASSERT_EQ(platform.pending.size(), 1u);
  EXPECT_EQ(platform.pending[0].msg.reply_context, "");
  platform.fail(PB_ERR_TOKEN_USED);  // without a token to drop: a final failure
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].code, PB_ERR_TOKEN_USED);
}

TEST_F(WorkerTest, ASingleUseTokenIsNotSentAgainAfterAFailedAttempt) {
  state::outbound_row r;
  r.instance = "ch";
  r.ordering_key = "k";
  r.turn_id = "ch:e1";
  messages::outbound_op op;
  op.single_use_token = true;
  op.send.conversation_id = "C";
  op.send.text = "hi";
  op.send.reply_context = "ONCE";
  w->submit(r, op, [this](const messages::op_result& res) { results.push_back(res); });
  settle();
  EXPECT_EQ(platform.pending[0].msg.reply_context, "ONCE");
  platform.fail(PB_ERR_RATE_LIMITED, 1000);
  sched.advance(1000);
  ASSERT_EQ(platform.pending.size(), 1u);
  EXPECT_EQ(platform.pending[0].msg.reply_context, "");  // spent: the platform saw it
  platform.ok();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_TRUE(results[0].ok());
}

TEST_F(WorkerTest, AChannelOverItsCapRefusesAtOnce) {
  outbound::worker_policy p;
  p.channel_cap = 2;
  reopen(p);
  EXPECT_NE(submit("k1", "a"), 0);
  EXPECT_NE(submit("k2", "b"), 0);
  EXPECT_EQ(submit("k3", "c"), 0);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].message, "outbound queue full");
  EXPECT_NE(submit("k3", "other channel", "", "ch2"), 0);
}

TEST_F(WorkerTest, AnUnavailableChannelMakesOpsWait) {
  platform.up = false;
  submit("k", "later");
  settle();
  EXPECT_TRUE(platform.history.empty());
  platform.up = true;
  sched.advance(1000);
  EXPECT_EQ(platform.pending.size(), 1u);
}

TEST_F(WorkerTest, RowsOfAPreviousRunAreResumedInOrderWithTheSamePayload) {
  submit("k", "first", "TOKEN");
  submit("k", "second");
  settle();
  ASSERT_EQ(platform.pending.size(), 1u);  // "first" in flight when the process dies
  platform.pending.clear();
  platform.history.clear();
  reopen();
  std::vector<std::string> recovered;
  w->resume([&](const state::outbound_row& row, const messages::op_result& r) {
    if (r.ok()) recovered.push_back(row.turn_id);
  });
  ASSERT_EQ(platform.pending.size(), 1u);
  EXPECT_EQ(platform.pending[0].msg.text, "first");
  EXPECT_EQ(platform.pending[0].msg.reply_context, "TOKEN");
  EXPECT_EQ(platform.pending[0].msg.turn_id, "ch:e-first");  // the same idempotency seed
  platform.ok();
  platform.ok();
  EXPECT_EQ(recovered, (std::vector<std::string>{"ch:e-first", "ch:e-second"}));
  EXPECT_TRUE(store->outbound().rows().empty());
}

// A streamed placeholder (PB_SEND_STREAM) and its final edit (PB_EDIT_FINAL) keep their flags in
// the stored op: after a restart the resumed ops carry them to the plugin.
TEST_F(WorkerTest, StreamFlagsSurviveARestart) {
  state::outbound_row r;
  r.instance = "ch";
  r.ordering_key = "k";
  r.turn_id = "ch:e-stream";
  r.kind = outbound_kind::placeholder;
  r.idempotency_key = r.turn_id + "#1";
  messages::outbound_op send;
  send.send.conversation_id = "C";
  send.send.text = "Hel";
  send.send.flags = PB_SEND_STREAM;
  w->submit(r, send, [](const messages::op_result&) {});
  r.kind = outbound_kind::final_edit;
  r.idempotency_key = r.turn_id + "#2";
  messages::outbound_op edit;
  edit.is_edit = true;
  edit.edit = messages::edit_request{"C", "m1", "", "Hello", r.turn_id, PB_EDIT_FINAL};
  w->submit(r, edit, [](const messages::op_result&) {});
  settle();
  ASSERT_EQ(platform.pending.size(), 1u);
  platform.pending.clear();
  platform.history.clear();
  reopen();
  w->resume([](const state::outbound_row&, const messages::op_result&) {});
  ASSERT_EQ(platform.pending.size(), 1u);
  EXPECT_EQ(platform.pending[0].msg.flags, PB_SEND_STREAM);
  platform.ok("m1");
  ASSERT_EQ(platform.pending.size(), 1u);
  ASSERT_TRUE(platform.pending[0].is_edit);
  EXPECT_EQ(platform.pending[0].req.flags, PB_EDIT_FINAL);
  EXPECT_EQ(platform.pending[0].req.text, "Hello");
}

}  // namespace
