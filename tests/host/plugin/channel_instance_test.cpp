// A loaded plugin .so driven through channel_instance with a real SQLite store: inbound and
// outbound round trips through the ABI, dedup, kv, foreign threads, and every misbehaviour the
// host must contain (throws, double completion, never completing, never stopping).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "patchbay/kit/runtime.hpp"
#include "plugin/channel_instance.hpp"
#include "plugin/loader.hpp"
#include "state/store.hpp"

namespace {
using namespace patchbay;
using namespace std::chrono_literals;

// Collects what the instance reports, and lets a test wait for it.
struct recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int32_t> states;
  std::vector<std::string> reasons;
  std::vector<messages::inbound_message> inbound;
  std::vector<pb_inbound_disposition> outcomes;
  std::vector<pb_liveness> proofs;
  std::vector<std::pair<std::string, int32_t>> ops;  // op_outcome: (what, code)

  plugin::instance_events events() {
    plugin::instance_events ev;
    ev.status = [this](const pb_status& s) {
      std::lock_guard lk(mu);
      states.push_back(s.state);
      reasons.emplace_back(plugin::to_view(s.reason));
      cv.notify_all();
    };
    ev.inbound = [this](const messages::inbound_message& m) {
      std::lock_guard lk(mu);
      inbound.push_back(m);
      cv.notify_all();
    };
    ev.inbound_outcome = [this](pb_inbound_disposition d) {
      std::lock_guard lk(mu);
      outcomes.push_back(d);
      cv.notify_all();
    };
    ev.liveness = [this](const pb_liveness& p) {
      std::lock_guard lk(mu);
      proofs.push_back(p);
      cv.notify_all();
    };
    ev.op_outcome = [this](std::string_view what, const messages::op_result& r) {
      std::lock_guard lk(mu);
      ops.emplace_back(std::string(what), r.code);
      cv.notify_all();
    };
    return ev;
  }
  template <class Pred>
  bool wait(Pred p) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, 10s, p);
  }
};

class InstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::filesystem::temp_directory_path() /
          ("pb_inst_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(db_);
    store_ = state::open_sqlite_store(db_.string());
  }
  void TearDown() override {
    store_->close();
    std::filesystem::remove(db_);
    std::filesystem::remove(db_.string() + "-wal");
    std::filesystem::remove(db_.string() + "-shm");
  }

  std::shared_ptr<plugin::channel_instance> make(const std::string& plugin,
                                                 const std::string& cfg) {
    auto out = loader_.load(plugin);
    EXPECT_TRUE(out.module) << (out.error ? out.error->to_string() : "");
    if (!out.module) return nullptr;
    return plugin::channel_instance::make(rt_, out.module, "chan-" + plugin, cfg, *store_,
                                          rec_.events());
  }
  std::string start(plugin::channel_instance& inst) {
    std::promise<std::string> p;
    inst.start([&](const std::string& e) { p.set_value(e); });
    auto f = p.get_future();
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  }
  void shutdown(plugin::channel_instance& inst, std::chrono::milliseconds deadline = 2s) {
    std::promise<void> p;
    inst.shutdown(deadline, [&] { p.set_value(); });
    ASSERT_EQ(p.get_future().wait_for(deadline + 10s), std::future_status::ready);
  }
  messages::op_result send(plugin::channel_instance& inst, const std::string& text) {
    std::promise<messages::op_result> p;
    messages::outbound_message m;
    m.conversation_id = "chat-1";
    m.text = text;
    inst.send(m, [&](const messages::op_result& r) { p.set_value(r); });
    auto f = p.get_future();
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  }

  kit::io_runtime rt_{2};
  std::filesystem::path db_;
  std::unique_ptr<state::store> store_;
  plugin::loader loader_{{PB_ZOO_DIR}};
  recorder rec_;
};

TEST_F(InstanceTest, GoodPluginRoundTripsInboundAndOutbound) {
  auto inst = make("good", R"({"emit_on_start":true})");
  ASSERT_TRUE(inst);
  EXPECT_EQ(start(*inst), "");
  ASSERT_TRUE(rec_.wait([&] { return rec_.outcomes.size() == 3 && rec_.inbound.size() == 2; }));
  EXPECT_EQ(rec_.outcomes[0], PB_INBOUND_ACCEPTED);
  EXPECT_EQ(rec_.outcomes[1], PB_INBOUND_DUPLICATE);  // same event id again
  EXPECT_EQ(rec_.outcomes[2], PB_INBOUND_ACCEPTED);
  EXPECT_EQ(rec_.inbound[0].event_id, "evt-1");
  EXPECT_EQ(rec_.inbound[0].text, "hello");
  EXPECT_EQ(rec_.inbound[0].reply_context, std::string("\x01tok\x00en", 7));  // binary intact
  EXPECT_EQ(rec_.inbound[0].channel_id, "chan-good");
  EXPECT_EQ(rec_.states.front(), PB_STATE_CONNECTED);

  auto ok = send(*inst, "hi");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.message_id, "msg-1:chat-1");
  auto late = send(*inst, "late");  // completed later from a plugin thread
  EXPECT_TRUE(late.ok());
  auto limited = send(*inst, "fail-rate");
  EXPECT_EQ(limited.code, PB_ERR_RATE_LIMITED);
  EXPECT_EQ(limited.retry_after_ms, 1500);
  EXPECT_EQ(limited.message, "slow down");

  std::promise<messages::op_result> ty;
  inst->typing({"chat-1", "", "", "user-1"},
               [&](const messages::op_result& r) { ty.set_value(r); });
  EXPECT_EQ(ty.get_future().get().code, PB_ERR_UNSUPPORTED);

  EXPECT_EQ(store_->kv_get("chan-good", "started").value_or(""), "yes");
  shutdown(*inst);
  EXPECT_EQ(rec_.states.back(), PB_STATE_STOPPED);
  EXPECT_EQ(send(*inst, "after stop").code, PB_ERR_RETRYABLE);
}

TEST_F(InstanceTest, ForeignThreadCallbacksAreServed) {
  auto inst = make("foreign", "{}");
  ASSERT_TRUE(inst);
  EXPECT_EQ(start(*inst), "");
  ASSERT_TRUE(rec_.wait([&] { return rec_.inbound.size() == 1 && rec_.states.size() >= 2; }));
  EXPECT_EQ(rec_.states[0], PB_STATE_RECONNECTING);
  EXPECT_EQ(rec_.reasons[0], "first connect failed");
  EXPECT_EQ(rec_.inbound[0].conversation_id, "room");
  EXPECT_EQ(send(*inst, "x").message_id, "sent-from-thread");
  shutdown(*inst);
  EXPECT_EQ(store_->kv_get("chan-foreign", "cursor").value_or(""), "42");
}

TEST_F(InstanceTest, ThrowingCreateIsRefusedWithTheMessage) {
  auto inst = make("thrower", R"({"throw_in":"create"})");
  EXPECT_EQ(start(*inst), "create failed: internal: boom in create");
  shutdown(*inst);
}

TEST_F(InstanceTest, ThrowingStartIsRefusedAndDestroyed) {
  auto inst = make("thrower", R"({"throw_in":"start"})");
  EXPECT_EQ(start(*inst), "start failed: internal: boom in start");
}

TEST_F(InstanceTest, ThrowingOperationsBecomeErrors) {
  auto inst = make("thrower", R"({"throw_in":"ops"})");
  EXPECT_EQ(start(*inst), "");
  auto r = send(*inst, "x");
  EXPECT_EQ(r.code, PB_ERR_INTERNAL);
  EXPECT_EQ(r.message, "unknown exception");
  std::promise<messages::op_result> ed;
  inst->edit({"c", "m", "", "t", ""}, [&](const messages::op_result& x) { ed.set_value(x); });
  EXPECT_EQ(ed.get_future().get().code, PB_ERR_NOT_FOUND);
  shutdown(*inst);  // stop throws: the barrier completes it
}

TEST_F(InstanceTest, CreateAndStartFailuresFromCPlugins) {
  auto a = make("zoo_create_fails", "{}");
  EXPECT_EQ(start(*a), "create failed: auth: bad credentials for app cli_zoo");
  auto b = make("zoo_start_fails", "{}");
  EXPECT_EQ(start(*b), "start failed: rejected: app is disabled on the platform");
}

TEST_F(InstanceTest, DoubleCompletionIsIgnored) {
  auto inst = make("zoo_send_twice", "{}");
  EXPECT_EQ(start(*inst), "");
  auto r = send(*inst, "x");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.message_id, "chat-1");
  EXPECT_TRUE(send(*inst, "y").ok());  // the host is still consistent
  shutdown(*inst);
}

TEST_F(InstanceTest, NeverCompletedSendIsFailedAtDestroy) {
  auto inst = make("zoo_send_never", "{}");
  EXPECT_EQ(start(*inst), "");
  std::promise<messages::op_result> p;
  messages::outbound_message m;
  m.conversation_id = "c";
  inst->send(m, [&](const messages::op_result& r) { p.set_value(r); });
  shutdown(*inst);
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get().code, PB_ERR_INTERNAL);
}

TEST_F(InstanceTest, LivenessProofsAndOutcomesReachTheHost) {
  auto inst = make("good", R"({"liveness_window_ms":4000})");
  ASSERT_TRUE(inst);
  EXPECT_EQ(start(*inst), "");
  ASSERT_TRUE(rec_.wait([&] { return rec_.proofs.size() == 1; }));
  EXPECT_EQ(rec_.proofs[0].kind, PB_LIVENESS_CONNECTED);
  EXPECT_EQ(rec_.proofs[0].window_ms, 4000u);
  EXPECT_TRUE(send(*inst, "hi").ok());
  EXPECT_EQ(send(*inst, "fail-auth").code, PB_ERR_AUTH);
  ASSERT_TRUE(rec_.wait([&] { return rec_.proofs.size() == 2 && rec_.ops.size() == 2; }));
  EXPECT_EQ(rec_.proofs[1].kind, PB_LIVENESS_API_OK);
  EXPECT_EQ(rec_.ops[0], (std::pair<std::string, int32_t>{"send", PB_OK}));
  EXPECT_EQ(rec_.ops[1], (std::pair<std::string, int32_t>{"send", PB_ERR_AUTH}));
  EXPECT_EQ(inst->in_flight().count, 0u);
  shutdown(*inst);
}

TEST_F(InstanceTest, InFlightCountsWhatThePluginHasNotCompleted) {
  auto inst = make("zoo_send_never", "{}");
  EXPECT_EQ(start(*inst), "");
  EXPECT_EQ(inst->in_flight().count, 0u);
  std::promise<messages::op_result> p;
  messages::outbound_message m;
  m.conversation_id = "c";
  inst->send(m, [&](const messages::op_result& r) { p.set_value(r); });
  for (int i = 0; i < 500 && inst->in_flight().count == 0; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(30ms);
  const auto f = inst->in_flight();
  EXPECT_EQ(f.count, 1u);
  EXPECT_GE(f.oldest_age_ms, 20);  // generous: at least the sleep, never an upper bound
  shutdown(*inst);
  EXPECT_EQ(inst->in_flight().count, 0u);  // failed at destroy
  EXPECT_EQ(p.get_future().get().code, PB_ERR_INTERNAL);
  ASSERT_TRUE(rec_.wait([&] { return rec_.ops.size() == 1; }));
  EXPECT_EQ(rec_.ops[0].second, PB_ERR_INTERNAL);
}

TEST_F(InstanceTest, StopDeadlineIsEnforced) {
  auto inst = make("zoo_stop_never", "{}");
  EXPECT_EQ(start(*inst), "");
  auto t0 = std::chrono::steady_clock::now();
  shutdown(*inst, 200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 8s);  // generous: the point is "it returns"
}

TEST_F(InstanceTest, KvSurvivesReopen) {
  auto inst = make("foreign", "{}");
  EXPECT_EQ(start(*inst), "");
  ASSERT_TRUE(rec_.wait([&] { return rec_.inbound.size() == 1; }));
  shutdown(*inst);
  store_->close();
  store_ = state::open_sqlite_store(db_.string());
  EXPECT_EQ(store_->kv_get("chan-foreign", "cursor").value_or(""), "42");
}

}  // namespace

// ---- inbound HTTP (ABI minor 1)
// ------------------------------------------------------------------

namespace {
kit::http_response call_http(plugin::channel_instance& inst, const std::string& subpath,
                             const std::string& body, kit::http_headers headers = {}) {
  std::promise<kit::http_response> p;
  kit::http_request req;
  req.method = "POST";
  req.path = subpath;
  req.query = "a=1";
  req.body = body;
  req.headers = std::move(headers);
  std::atomic<int> calls{0};
  inst.http(req, [&](kit::http_response r) {
    if (calls.fetch_add(1) == 0) p.set_value(std::move(r));
  });
  auto f = p.get_future();
  EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
  auto r = f.get();
  std::this_thread::sleep_for(20ms);  // a second answer would show up here
  EXPECT_EQ(calls.load(), 1);
  return r;
}
}  // namespace

TEST_F(InstanceTest, HttpReachesThePluginWithMethodQueryBodyAndHeaders) {
  auto inst = make("good", "{}");
  ASSERT_EQ(start(*inst), "");
  auto r = call_http(*inst, "/echo", "payload", {{"X-Test", "yes"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/plain");
  EXPECT_EQ(r.body, "POST a=1 payload x=yes");
  EXPECT_EQ(call_http(*inst, "/nope", "").status, 404u);
  shutdown(*inst);
}

TEST_F(InstanceTest, HttpAcceptedOnlyAfterTheInboundIsDurable) {
  auto inst = make("good", "{}");
  ASSERT_EQ(start(*inst), "");
  auto r = call_http(*inst, "/emit", "hi there", {{"X-Event", "hook-1"}});
  EXPECT_EQ(r.status, 202u);
  {  // durable: the host handed it on, and a redelivery is a duplicate
    std::unique_lock lk(rec_.mu);
    ASSERT_TRUE(rec_.cv.wait_for(lk, 5s, [&] { return !rec_.inbound.empty(); }));
    EXPECT_EQ(rec_.inbound[0].text, "hi there");
  }
  EXPECT_EQ(call_http(*inst, "/emit", "hi there", {{"X-Event", "hook-1"}}).status, 200u);
  shutdown(*inst);
}

TEST_F(InstanceTest, HttpUnansweredGets504ThenDestroyAnswersNothingTwice) {
  auto inst = make("good", "{}");
  inst->set_http_deadline(150ms);
  ASSERT_EQ(start(*inst), "");
  EXPECT_EQ(call_http(*inst, "/never", "").status, 504u);
  shutdown(*inst);  // the plugin's late 500 (from destroying the held responder) is ignored
}

TEST_F(InstanceTest, HttpOpenAtDestroyIs503AndNotRunningIs503) {
  auto inst = make("good", "{}");
  EXPECT_EQ(call_http(*inst, "/echo", "").status, 503u);  // not started yet
  ASSERT_EQ(start(*inst), "");
  std::promise<kit::http_response> p;
  kit::http_request req;
  req.method = "POST";
  req.path = "/never";
  inst->http(req, [&](kit::http_response r) { p.set_value(std::move(r)); });
  std::this_thread::sleep_for(50ms);
  shutdown(*inst);
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get().status, 503u);
}

TEST_F(InstanceTest, PluginBuiltForMinor0LoadsAndTakesNoHttp) {
  auto inst = make("zoo_minor0", "{}");
  ASSERT_TRUE(inst);
  EXPECT_EQ(inst->module().abi_minor, 0u);
  ASSERT_EQ(start(*inst), "");
  EXPECT_EQ(call_http(*inst, "/anything", "").status, 404u);
  shutdown(*inst);
}

// host.admission: over the limit an event is refused (RATE_LIMITED, counted) BEFORE it is
// stored, so the platform's next delivery of the same event is new to the host, not a duplicate.
TEST_F(InstanceTest, OverTheAdmissionLimitAnEventIsRefusedBeforeItIsStored) {
  auto inst = make("good", "{}");
  ASSERT_TRUE(inst);
  std::atomic<std::size_t> past_intake{1};
  auto gate =
      std::make_shared<plugin::admission_gate>(1, 300ms, [&] { return past_intake.load(); });
  inst->set_admission(gate);
  ASSERT_EQ(start(*inst), "");
  EXPECT_EQ(call_http(*inst, "/emit", "overloaded", {{"X-Event", "hook-9"}}).status, 503u);
  EXPECT_EQ(gate->refused(), 1U);
  EXPECT_EQ(gate->reserved(), 0U);
  past_intake = 0;  // room again: the same event is new (nothing was stored), then a duplicate
  EXPECT_EQ(call_http(*inst, "/emit", "overloaded", {{"X-Event", "hook-9"}}).status, 202u);
  EXPECT_EQ(call_http(*inst, "/emit", "overloaded", {{"X-Event", "hook-9"}}).status, 200u);
  {
    std::unique_lock lk(rec_.mu);
    ASSERT_TRUE(rec_.cv.wait_for(lk, 5s, [&] { return rec_.inbound.size() == 1; }));
    EXPECT_EQ(rec_.outcomes, (std::vector<pb_inbound_disposition>{
                                 PB_INBOUND_REFUSED, PB_INBOUND_ACCEPTED, PB_INBOUND_DUPLICATE}));
  }
  // Every reservation ended (handed over or released); the last one just after the hand-over.
  for (int i = 0; i < 200 && gate->reserved() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(gate->reserved(), 0U);
  shutdown(*inst);
}
