// The outbound queue contract (state/outbound_queue.hpp) on both engines (store_engines.hpp): rows
// durable once enqueue completes and found again after reopening, ids increasing and never reused,
// updates and removals, in-flight rows pending again after a crash, dead rows kept with their last
// error, the turn saved in the op's transaction, the per-channel live count, and the inbound
// payload of an unfinished turn read back for a re-run. Fake clock.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "state/store.hpp"
#include "store_engines.hpp"

namespace {
using namespace patchbay::state;
using testing_engines::EngineTest;

constexpr int64_t t0 = 1'700'000'000;

struct OutboundQueueTest : EngineTest {
  std::shared_ptr<std::atomic<int64_t>> now = std::make_shared<std::atomic<int64_t>>(t0);
  std::unique_ptr<store> open() {
    store_options o;
    o.clock = [c = now] { return c->load(); };
    return env().open(o);
  }
};

outbound_row op(const std::string& instance, const std::string& key, const std::string& payload,
                outbound_kind kind = outbound_kind::send) {
  outbound_row r;
  r.instance = instance;
  r.ordering_key = key;
  r.turn_id = instance + ":e1";
  r.kind = kind;
  r.payload = payload;
  r.idempotency_key = r.turn_id + "#1";
  return r;
}

// Enqueues and waits until durable; returns the id.
int64_t enqueue_sync(outbound_queue& q, outbound_row r, const turn_row* also = nullptr) {
  std::promise<std::string> p;
  int64_t id = q.enqueue(
      std::move(r), [&](const std::string& e) { p.set_value(e); }, also);
  EXPECT_EQ(p.get_future().get(), "");
  return id;
}
void sync(store& s) {  // every earlier write is durable once this one is
  std::promise<std::string> p;
  s.kv_set("test", "sync", "x", [&](const std::string& e) { p.set_value(e); });
  EXPECT_EQ(p.get_future().get(), "");
}

TEST_P(OutboundQueueTest, RowsAreDurableAndComeBackAfterReopenWithEveryField) {
  int64_t a = 0, b = 0;
  {
    auto s = open();
    a = enqueue_sync(s->outbound(), op("feishu-main", "k1", R"({"op":"send","text":"hi"})",
                                       outbound_kind::placeholder));
    now->store(t0 + 5);
    b = enqueue_sync(s->outbound(), op("feishu-main", "k1", R"({"op":"edit"})"));
    EXPECT_LT(a, b);
    ASSERT_EQ(s->outbound().rows().size(), 2u);
  }
  auto s = open();
  auto rows = s->outbound().rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, a);
  EXPECT_EQ(rows[0].instance, "feishu-main");
  EXPECT_EQ(rows[0].ordering_key, "k1");
  EXPECT_EQ(rows[0].turn_id, "feishu-main:e1");
  EXPECT_EQ(rows[0].kind, outbound_kind::placeholder);
  EXPECT_EQ(rows[0].payload, R"({"op":"send","text":"hi"})");
  EXPECT_EQ(rows[0].idempotency_key, "feishu-main:e1#1");
  EXPECT_EQ(rows[0].state, outbound_state::pending);
  EXPECT_EQ(rows[0].created_unix_ms, t0 * 1000);  // stamped with the store's clock
  EXPECT_EQ(rows[1].created_unix_ms, (t0 + 5) * 1000);
  // Ids continue after the largest stored one; never reused.
  int64_t c = enqueue_sync(s->outbound(), op("feishu-main", "k2", "{}"));
  EXPECT_GT(c, b);
}

TEST_P(OutboundQueueTest, UpdateAndRemoveAreDurableAndInFlightIsPendingAfterACrash) {
  int64_t a = 0, b = 0, c = 0;
  {
    auto s = open();
    auto& q = s->outbound();
    a = enqueue_sync(q, op("w", "k", "{}"));
    b = enqueue_sync(q, op("w", "k", "{}"));
    c = enqueue_sync(q, op("w", "k", "{}"));
    auto ra = *q.row(a);
    ra.state = outbound_state::in_flight;  // memory only
    q.update(ra, nullptr);
    EXPECT_EQ(q.row(a)->state, outbound_state::in_flight);
    auto rb = *q.row(b);
    rb.state = outbound_state::dead;
    rb.attempts = 6;
    rb.last_error = "retryable: 503";
    rb.payload = R"({"changed":true})";
    q.update(rb, nullptr);
    q.remove(c, nullptr);
    EXPECT_FALSE(q.row(c));
    sync(*s);
  }
  auto s = open();
  auto& q = s->outbound();
  ASSERT_EQ(q.rows().size(), 2u);
  EXPECT_EQ(q.row(a)->state, outbound_state::pending);  // was in flight: tried again
  auto rb = *q.row(b);
  EXPECT_EQ(rb.state, outbound_state::dead);
  EXPECT_EQ(rb.attempts, 6);
  EXPECT_EQ(rb.last_error, "retryable: 503");
  EXPECT_EQ(rb.payload, R"({"changed":true})");
  EXPECT_FALSE(q.row(c));
  // live_count: per instance, dead rows not counted.
  EXPECT_EQ(q.live_count("w"), 1u);
  EXPECT_EQ(q.live_count("other"), 0u);
  // An update of a removed row leaves it removed.
  q.remove(a, nullptr);
  auto ra = op("w", "k", "{}");
  ra.id = a;
  q.update(ra, nullptr);
  sync(*s);
  EXPECT_FALSE(q.row(a));
}

TEST_P(OutboundQueueTest, TheTurnSavedWithAnOpIsDurableInTheSameWrite) {
  {
    auto s = open();
    turn_row t;
    t.turn_id = "feishu-main:e1";
    t.instance = "feishu-main";
    t.conversation_id = "C";
    t.placeholder_id = "ph";
    t.flushed_text = "partial";
    t.terminal = false;
    enqueue_sync(s->outbound(), op("feishu-main", "k", "{}", outbound_kind::edit), &t);
  }
  auto s = open();
  auto turns = s->unfinished_turns();
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].placeholder_id, "ph");
  EXPECT_EQ(s->outbound().rows().size(), 1u);
}

TEST_P(OutboundQueueTest, UnfinishedTurnsCarryTheirStoredInboundMessage) {
  auto s = open();
  std::promise<inbound_outcome> p;
  s->record_inbound("feishu-main", "ev:1", R"({"text":"hello"})",
                    [&](inbound_outcome o, const std::string&) { p.set_value(o); });
  ASSERT_EQ(p.get_future().get(), inbound_outcome::accepted);
  turn_row t;
  t.turn_id = "feishu-main:ev:1";  // event ids may hold ':' too
  t.instance = "feishu-main";
  turn_row api;
  api.turn_id = "api-1";
  api.instance = "api";
  for (auto* r : {&t, &api}) {
    std::promise<std::string> d;
    s->save_turn(*r, [&](const std::string& e) { d.set_value(e); });
    ASSERT_EQ(d.get_future().get(), "");
  }
  auto rows = s->unfinished_turns();
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) {
    if (r.turn_id == t.turn_id)
      EXPECT_EQ(r.inbound_payload, R"({"text":"hello"})");
    else
      EXPECT_EQ(r.inbound_payload, "");
  }
}

PB_STORE_ENGINES(OutboundQueueTest);

TEST(OutboundNames, KindAndStateNamesRoundTrip) {
  for (auto k : {outbound_kind::placeholder, outbound_kind::send, outbound_kind::edit,
                 outbound_kind::final_edit, outbound_kind::notice})
    EXPECT_EQ(outbound_kind_from(to_string(k)), k);
  for (auto st : {outbound_state::pending, outbound_state::in_flight, outbound_state::dead})
    EXPECT_EQ(outbound_state_from(to_string(st)), st);
  EXPECT_FALSE(outbound_kind_from("bogus"));
}

}  // namespace
