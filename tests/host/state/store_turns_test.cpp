// The state store's turn records on both engines (store_engines.hpp): round trip, unfinished
// turns across reopen, terminal never reverting, pruning of finished turns on the maintenance
// schedule (fake clock).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "state/store.hpp"
#include "store_engines.hpp"

namespace {
using namespace patchbay::state;
using namespace std::chrono_literals;
using testing_engines::EngineTest;

constexpr int64_t t0 = 1'700'000'000;  // fake "now", unix seconds

struct TurnStoreTest : EngineTest {
  std::shared_ptr<std::atomic<int64_t>> now = std::make_shared<std::atomic<int64_t>>(t0);

  store_options fake_clock_options() {
    store_options o;
    o.clock = [c = now] { return c->load(); };
    return o;
  }
  std::unique_ptr<store> open(store_options o) { return env().open(std::move(o)); }
  std::unique_ptr<store> open() { return open(fake_clock_options()); }

  // Reads the table directly, through a connection of its own.
  std::vector<std::string> stored_turn_ids() {
    std::vector<std::string> ids;
    for (auto& t : env().stored_turns()) ids.push_back(t.turn_id);
    return ids;
  }
};

std::string save_sync(store& s, const turn_row& r) {
  std::promise<std::string> p;
  s.save_turn(r, [&](const std::string& e) { p.set_value(e); });
  return p.get_future().get();
}

turn_row row(const std::string& id, bool terminal = false, int64_t updated_ms = 0) {
  turn_row r;
  r.turn_id = id;
  r.instance = "slack-main";
  r.conversation_id = "C1";
  r.thread_id = "T1";
  r.reply_to_message_id = "M1";
  r.terminal = terminal;
  r.outcome = terminal ? "complete" : "";
  r.updated_at_unix_ms = updated_ms;
  return r;
}

void expect_same(const turn_row& a, const turn_row& b) {
  EXPECT_EQ(a.turn_id, b.turn_id);
  EXPECT_EQ(a.instance, b.instance);
  EXPECT_EQ(a.conversation_id, b.conversation_id);
  EXPECT_EQ(a.thread_id, b.thread_id);
  EXPECT_EQ(a.reply_to_message_id, b.reply_to_message_id);
  EXPECT_EQ(a.placeholder_id, b.placeholder_id);
  EXPECT_EQ(a.flushed_text, b.flushed_text);
  EXPECT_EQ(a.reply_token_spent, b.reply_token_spent);
  EXPECT_EQ(a.terminal, b.terminal);
  EXPECT_EQ(a.outcome, b.outcome);
  EXPECT_EQ(a.updated_at_unix_ms, b.updated_at_unix_ms);
  EXPECT_EQ(a.pending_plan, b.pending_plan);
}

TEST_P(TurnStoreTest, UpsertRoundTripsEveryField) {
  turn_row r;
  r.turn_id = "turn-1";
  r.instance = "api";
  r.conversation_id = "conv";
  r.thread_id = "thr";
  r.reply_to_message_id = "msg-9";
  r.placeholder_id = "ph-1";
  r.flushed_text = std::string("h\xc3\xa9llo\0world \xf0\x9f\x91\x8b", 17);  // NUL and UTF-8
  r.reply_token_spent = true;
  r.terminal = false;
  r.outcome = "";
  r.updated_at_unix_ms = 1'700'000'000'123;
  {
    auto s = open();
    EXPECT_EQ(save_sync(*s, r), "");
    auto got = s->unfinished_turns();
    ASSERT_EQ(got.size(), 1u);
    expect_same(got[0], r);

    // Upsert by turn_id: every field replaced.
    r.instance = "discord";
    r.conversation_id = "conv2";
    r.thread_id = "thr2";
    r.reply_to_message_id = "msg-10";
    r.placeholder_id = "ph-2";
    r.flushed_text = "longer text";
    r.outcome = "pending?";
    r.updated_at_unix_ms += 5;
    EXPECT_EQ(save_sync(*s, r), "");
    got = s->unfinished_turns();
    ASSERT_EQ(got.size(), 1u);
    expect_same(got[0], r);
  }
  auto s = open();
  auto got = s->unfinished_turns();
  ASSERT_EQ(got.size(), 1u);
  expect_same(got[0], r);
}

TEST_P(TurnStoreTest, ZeroUpdatedAtIsStampedWithTheStoreClock) {
  auto s = open();
  EXPECT_EQ(save_sync(*s, row("a")), "");
  auto got = s->unfinished_turns();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].updated_at_unix_ms, t0 * 1000);
}

TEST_P(TurnStoreTest, UnfinishedTurnsAfterReopenOldestFirst) {
  {
    auto s = open();
    s->save_turn(row("c", false, 3000), nullptr);
    s->save_turn(row("done", true, 1000), nullptr);
    s->save_turn(row("a", false, 2000), nullptr);
    turn_row b = row("b", false, 2000);
    b.placeholder_id = "ph-b";
    b.flushed_text = "partial";
    b.reply_token_spent = true;
    EXPECT_EQ(save_sync(*s, b), "");
  }
  auto s = open();
  auto got = s->unfinished_turns();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].turn_id, "a");
  EXPECT_EQ(got[1].turn_id, "b");
  EXPECT_EQ(got[2].turn_id, "c");
  EXPECT_EQ(got[1].placeholder_id, "ph-b");
  EXPECT_EQ(got[1].flushed_text, "partial");
  EXPECT_TRUE(got[1].reply_token_spent);
  EXPECT_FALSE(got[1].terminal);
  EXPECT_EQ(got[1].instance, "slack-main");

  // Finishing them (as the host does after a restart) empties the list.
  for (auto& r : got) {
    r.terminal = true;
    r.outcome = "error";
    s->save_turn(r, nullptr);
  }
  EXPECT_EQ(save_sync(*s, row("done", true)), "");
  EXPECT_TRUE(s->unfinished_turns().empty());
}

// A terminal turn with a plan left (render/pending_plan.hpp) is unfinished until a terminal save
// clears the plan.
TEST_P(TurnStoreTest, ATerminalTurnWithAPlanLeftIsUnfinishedUntilItsPlanIsCleared) {
  auto s = open();
  turn_row r = row("t", true, 1000);
  r.outcome = "complete";
  r.pending_plan = R"({"v":1})";
  EXPECT_EQ(save_sync(*s, r), "");
  auto got = s->unfinished_turns();
  ASSERT_EQ(got.size(), 1u);
  expect_same(got[0], r);
  // A non-terminal save never touches a terminal row, its plan included.
  turn_row late = r;
  late.terminal = false;
  late.pending_plan.clear();
  EXPECT_EQ(save_sync(*s, late), "");
  ASSERT_EQ(s->unfinished_turns().size(), 1u);
  // The renderer finished: the plan is cleared.
  r.pending_plan.clear();
  EXPECT_EQ(save_sync(*s, r), "");
  EXPECT_TRUE(s->unfinished_turns().empty());
}

TEST_P(TurnStoreTest, TerminalNeverReverts) {
  auto s = open();
  turn_row r = row("t");
  r.placeholder_id = "ph";
  r.flushed_text = "part";
  EXPECT_EQ(save_sync(*s, r), "");

  turn_row fin = r;
  fin.terminal = true;
  fin.outcome = "error";
  fin.flushed_text = "part\n\nerror notice";
  // Terminal and then a late non-terminal save, queued together (one group commit, in order).
  turn_row late = r;
  late.flushed_text = "stale preview";
  std::promise<std::string> p1, p2;
  s->save_turn(fin, [&](const std::string& e) { p1.set_value(e); });
  s->save_turn(late, [&](const std::string& e) { p2.set_value(e); });
  EXPECT_EQ(p1.get_future().get(), "");
  EXPECT_EQ(p2.get_future().get(), "");  // ignored, not an error
  EXPECT_TRUE(s->unfinished_turns().empty());

  // A later terminal save updates the text but keeps the first terminal outcome.
  turn_row fin2 = fin;
  fin2.outcome = "complete";
  fin2.flushed_text = "final text";
  EXPECT_EQ(save_sync(*s, fin2), "");
  s.reset();

  // Across a restart, a redelivered turn saving itself as new stays finished.
  s = open();
  EXPECT_EQ(save_sync(*s, row("t")), "");
  EXPECT_TRUE(s->unfinished_turns().empty());
  s.reset();

  auto turns = env().stored_turns();
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_TRUE(turns[0].terminal);
  EXPECT_EQ(turns[0].outcome, "error");
  EXPECT_EQ(turns[0].flushed_text, "final text");
  EXPECT_EQ(turns[0].placeholder_id, "ph");
}

TEST_P(TurnStoreTest, SpentReplyTokenStaysSpent) {
  auto s = open();
  turn_row r = row("t");
  r.reply_token_spent = true;
  s->save_turn(r, nullptr);
  r.reply_token_spent = false;
  r.flushed_text = "later";
  EXPECT_EQ(save_sync(*s, r), "");
  auto got = s->unfinished_turns();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].reply_token_spent);
  EXPECT_EQ(got[0].flushed_text, "later");
}

TEST_P(TurnStoreTest, OldTerminalTurnsArePrunedUnfinishedNever) {
  auto opt = fake_clock_options();
  opt.turn_retention = 24h;
  opt.maintenance_interval = 10min;
  auto s = open(opt);
  s->save_turn(row("old-done", true), nullptr);  // stamped t0
  s->save_turn(row("old-open", false), nullptr);
  EXPECT_EQ(save_sync(*s, row("edge-done", true, (t0 + 3600) * 1000)), "");

  // One day and a second later: the next write wakes the writer, the pass is due and runs first.
  now->store(t0 + 24 * 3600 + 1);
  EXPECT_EQ(save_sync(*s, row("new-done", true)), "");
  EXPECT_EQ(stored_turn_ids(), (std::vector<std::string>{"edge-done", "new-done", "old-open"}));

  // 9 min after the last pass: a turn that is prunable at once (stamped 1970) stays, no pass is
  // due.
  now->store(t0 + 24 * 3600 + 1 + 9 * 60);
  s->save_turn(row("x", true, 1), nullptr);
  EXPECT_EQ(save_sync(*s, row("y")), "");
  EXPECT_EQ(stored_turn_ids(),
            (std::vector<std::string>{"edge-done", "new-done", "old-open", "x", "y"}));

  now->store(t0 + 24 * 3600 + 1 + 10 * 60);  // 10 min after the last pass: due
  EXPECT_EQ(save_sync(*s, row("z")), "");
  EXPECT_EQ(stored_turn_ids(),
            (std::vector<std::string>{"edge-done", "new-done", "old-open", "y", "z"}));

  // Much later, across a reopen (the first pass runs at open): every finished turn is gone, the
  // unfinished ones stay however old they are.
  s.reset();
  now->store(t0 + 365 * 24 * 3600);
  s = open(opt);
  EXPECT_EQ(save_sync(*s, row("fresh")), "");
  EXPECT_EQ(stored_turn_ids(), (std::vector<std::string>{"fresh", "old-open", "y", "z"}));
  EXPECT_EQ(s->unfinished_turns().size(), 4u);
}

TEST_P(TurnStoreTest, IdleWriterRunsMaintenanceOnATimedWait) {
  auto opt = fake_clock_options();
  opt.turn_retention = 1h;
  opt.maintenance_interval = 1s;  // the writer's idle wait is this long (real time)
  auto s = open(opt);
  EXPECT_EQ(save_sync(*s, row("done", true)), "");
  now->store(t0 + 7200);  // no write follows: only the timed wake can prune
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!stored_turn_ids().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(stored_turn_ids().empty());
}

TEST_P(TurnStoreTest, ClosedStoreRefusesSavesButStillReads) {
  auto s = open();
  EXPECT_EQ(save_sync(*s, row("a")), "");
  s->close();
  EXPECT_EQ(save_sync(*s, row("b")), "state store closed");
  auto got = s->unfinished_turns();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].turn_id, "a");
}

TEST_P(TurnStoreTest, ReadingWhileTheWriterCommits) {
  store_options opt;  // system clock, and an empty clock means the same
  opt.clock = nullptr;
  auto s = open(opt);
  std::atomic<int> done{0};
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i)
      s->save_turn(row("t" + std::to_string(i), i % 2 == 0), [&](const std::string& e) {
        EXPECT_EQ(e, "");
        ++done;
      });
  });
  size_t last = 0;
  while (done.load() < 300) {
    auto n = s->unfinished_turns().size();
    EXPECT_GE(n, last);
    last = n;
  }
  writer.join();
  EXPECT_EQ(s->unfinished_turns().size(), 150u);
  int64_t now_ms = system_clock_unix_s() * 1000;
  EXPECT_NEAR(static_cast<double>(s->unfinished_turns()[0].updated_at_unix_ms),
              static_cast<double>(now_ms), 120'000.0);
}

PB_STORE_ENGINES(TurnStoreTest);

// SQLite only: a database file written before turns kept their plan gains the column at open.
TEST(SqliteTurnStore, AnOlderFileGainsThePendingPlanColumn) {
  testing_engines::sqlite_env env;
  {
    sqlite3* conn = nullptr;
    ASSERT_EQ(sqlite3_open(env.db().string().c_str(), &conn), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(conn,
                           "CREATE TABLE turns (turn_id TEXT NOT NULL PRIMARY KEY, "
                           "instance TEXT NOT NULL, conversation_id TEXT NOT NULL, thread_id TEXT "
                           "NOT NULL, reply_to_message_id TEXT NOT NULL, placeholder_id TEXT NOT "
                           "NULL, flushed_text TEXT NOT NULL, reply_token_spent INTEGER NOT NULL, "
                           "terminal INTEGER NOT NULL, outcome TEXT NOT NULL, updated_at_unix_ms "
                           "INTEGER NOT NULL); INSERT INTO turns VALUES('old', 'i', 'c', '', '', "
                           "'', '', 0, 1, 'complete', 1)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(conn);
  }
  auto s = env.open({});
  EXPECT_TRUE(s->unfinished_turns().empty()) << "an old terminal row has no plan";
  turn_row r = row("t", true, 1000);
  r.pending_plan = R"({"v":1})";
  EXPECT_EQ(save_sync(*s, r), "");
  auto got = s->unfinished_turns();
  ASSERT_EQ(got.size(), 1u);
  expect_same(got[0], r);
}

}  // namespace
