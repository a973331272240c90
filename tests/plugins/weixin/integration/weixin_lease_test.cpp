// A single-consumer channel under a lease, through the real weixin plugin (which declares
// single_consumer) in a real `patchbay run` against the fake iLink server. The state file says
// another replica holds the account's lease with a fresh heartbeat (as a second replica sharing
// the store would): the host keeps the channel on standby — ready, healthy, not polling — until
// that heartbeat is older than host.replica.lease_ttl_ms, then takes the account over, polls from
// the cursor the other replica left, answers, and its cursor writes land under its own token.
#include <signal.h>
#include <sqlite3.h>

#include <chrono>

#include "fake_ilink_process.hpp"
#include "held_agent.hpp"
#include "host_fixture.hpp"

namespace {
using namespace wxtest;
using pbtest::host_fixture;
using namespace std::chrono;

// Runs `sql` on the host's state file (the host is stopped).
void exec(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* c = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &c), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(c, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(c);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

std::string one_value(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* c = nullptr;
  EXPECT_EQ(sqlite3_open(db.c_str(), &c), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(c, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s, 0));
    out.assign(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(s, 0)));
  }
  sqlite3_finalize(s);
  sqlite3_close(c);
  return out;
}

TEST(WeixinLease, AnAccountLeasedByAnotherReplicaIsTakenOverWhenItsHeartbeatExpires) {
  fake_ilink fake({"--hold-ms", "300"});
  ASSERT_FALSE(fake.accounts.empty());
  const auto& acct = fake.accounts[0];
  host_fixture h("  - id: wx\n    plugin: \"" PB_WEIXIN_PLUGIN
                 "\"\n    agent: echo\n" PB_OPEN_ACCESS "    config:\n      bot_token: \"" +
                     acct.bot_token + "\"\n      base_url: \"" + fake.base_url +
                     "\"\n      account_id: \"" + acct.account_id + "\"\n",
                 "  echo: { type: echo }\n", "  replica: { id: replica-b, lease_ttl_ms: 3000 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  // The first run took the free lease: it polls.
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }))
      << h.logs();
  h.proc->signal(SIGTERM);
  ASSERT_EQ(h.proc->wait(20s), 0);

  // Another replica now holds the lease, heartbeat fresh, and left its cursor.
  const auto db = h.dir / "state.db";
  const int64_t now_ms =
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  exec(db, "INSERT OR REPLACE INTO replicas VALUES('replica-a', 'a-1', " + std::to_string(now_ms) +
               ");"
               "UPDATE leases SET owner = 'replica-a', incarnation = 'a-1', token = token + 1 "
               "WHERE name = 'channel:wx';");
  const std::string token_before =
      one_value(db, "SELECT token FROM leases WHERE name = 'channel:wx'");
  const std::size_t polls_before = fake.requests_to("getupdates").size();

  const auto launched = steady_clock::now();
  h.launch();
  ASSERT_FALSE(h.base.empty()) << h.logs();
  // Standby: ready and healthy, shown with the holder, and not polling.
  EXPECT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  std::string channels;  // the first renewal names the holder
  for (int i = 0; i < 200 && channels.find("replica-a") == std::string::npos; ++i) {
    channels = h.get("/v1/channels", pbtest::token).body;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(channels.find("\"standby\""), std::string::npos) << channels;
  EXPECT_NE(channels.find("runs on replica replica-a"), std::string::npos) << channels;
  EXPECT_EQ(h.get("/healthz/channels").status, 200u);
  EXPECT_EQ(fake.requests_to("getupdates").size(), polls_before) << "polled without the lease";

  // Replica a never renews: after the TTL this host takes the account over.
  ASSERT_TRUE(fake_ilink::wait_for([&] {
    return fake.requests_to("getupdates").size() > polls_before;
  })) << h.logs();
  const auto failover = duration_cast<milliseconds>(steady_clock::now() - launched);
  std::printf("failover after the holder's last heartbeat: %lld ms (lease TTL 3000 ms)\n",
              static_cast<long long>(failover.count()));
  EXPECT_GE(failover.count(), 2000) << "took the lease before the holder's heartbeat expired";

  // It answers, and its writes of the account's state land under the new token.
  fake.inject("lease-user@im.wechat", "after the failover");
  ASSERT_TRUE(fake_ilink::wait_for([&] {
    for (const auto& s : fake.sent())
      if (str(s, "to") == "lease-user@im.wechat") return true;
    return false;
  })) << h.logs();
  h.proc->signal(SIGTERM);
  ASSERT_EQ(h.proc->wait(20s), 0);
  const std::string token_after =
      one_value(db, "SELECT token FROM leases WHERE name = 'channel:wx'");
  EXPECT_EQ(std::stoll(token_after), std::stoll(token_before) + 1);
  EXPECT_EQ(one_value(db, "SELECT owner FROM leases WHERE name = 'channel:wx'"), "")
      << "a graceful stop releases the lease";
  EXPECT_FALSE(one_value(db,
                         "SELECT value FROM kv WHERE instance = 'wx' AND "
                         "key = 'get_updates_buf'")
                   .empty())
      << "the cursor was saved under the lease";
}

// Crash safety under a lease: a turn acknowledged and cut by SIGKILL before it showed anything is
// run again after the restart. Recovery waits for the first lease renewal, so the leased channel
// runs by then (without that wait the turn was closed silently as "channel not running").
TEST(WeixinLease, ATurnCutByAKillIsAnsweredAfterTheRestartOnceTheLeasedChannelRuns) {
  pbtest::held_agent agent(3s);
  fake_ilink fake({"--hold-ms", "300"});
  ASSERT_FALSE(fake.accounts.empty());
  const auto& acct = fake.accounts[0];
  host_fixture h("  - id: wx\n    plugin: \"" PB_WEIXIN_PLUGIN
                 "\"\n    agent: held\n" PB_OPEN_ACCESS "    config:\n      bot_token: \"" +
                     acct.bot_token + "\"\n      base_url: \"" + fake.base_url +
                     "\"\n      account_id: \"" + acct.account_id + "\"\n",
                 agent.yaml());
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }))
      << h.logs();
  fake.inject("cut@im.wechat", "cut by a kill");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return agent.asked()["cut by a kill"] == 1; }))
      << h.logs();
  h.proc->signal(SIGKILL);  // the agent still holds the turn: nothing was shown
  ASSERT_EQ(h.proc->wait(10s), 128 + SIGKILL);
  h.launch();
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] {
    for (const auto& s : fake.sent())
      if (str(s, "to") == "cut@im.wechat") return true;
    return false;
  })) << h.logs();
  std::this_thread::sleep_for(500ms);
  std::size_t answers = 0;
  for (const auto& s : fake.sent())
    if (str(s, "to") == "cut@im.wechat") {
      ++answers;
      EXPECT_EQ(str(s, "text"), "echo: cut by a kill");
    }
  EXPECT_EQ(answers, 1u);
  EXPECT_EQ(agent.asked()["cut by a kill"], 2) << "run again once after the restart";
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

}  // namespace
