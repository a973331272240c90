// Two real `patchbay run` replicas on one PostgreSQL database (the throwaway cluster,
// PATCHBAY_TEST_PG_URL; skipped without it), both configured with the same Weixin account against
// the fake iLink server. One replica polls the account under its lease, the other stands by; the
// poller is killed with SIGKILL, and a message sent while nobody polls is picked up by the other
// replica once the lease TTL passed — from the cursor the dead replica saved, answered exactly
// once. Prints the failover time.
#include <signal.h>

#include <chrono>

#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"
#include "pg_test_db.hpp"

namespace {
using namespace wxtest;
using pbtest::host_fixture;
using namespace std::chrono;

std::size_t answers_to(const fake_ilink& fake, const std::string& user) {
  std::size_t n = 0;
  for (const auto& s : fake.sent())
    if (str(s, "to") == user) ++n;
  return n;
}

// The channel's state in /v1/channels, crudely: whether the body names `needle`.
bool channels_say(host_fixture& h, const std::string& needle) {
  for (int i = 0; i < 1000; ++i) {
    if (h.get("/v1/channels", pbtest::token).body.find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(WeixinReplicas, TheStandbyReplicaTakesTheAccountOverAfterTheOwnerIsKilled) {
  if (!patchbay::test::pg_test_db::available())
    GTEST_SKIP() << patchbay::test::pg_test_db::skip_reason();
  patchbay::test::pg_test_db db;
  fake_ilink fake({"--hold-ms", "300"});
  ASSERT_FALSE(fake.accounts.empty());
  const auto& acct = fake.accounts[0];
  const std::string channel = "  - id: wx\n    plugin: \"" PB_WEIXIN_PLUGIN
                              "\"\n    agent: echo\n" PB_OPEN_ACCESS
                              "    config:\n      bot_token: \"" +
                              acct.bot_token + "\"\n      base_url: \"" + fake.base_url +
                              "\"\n      account_id: \"" + acct.account_id + "\"\n";
  const std::string state = "{ engine: postgres, url: \"" + db.url() + "\" }";
  auto replica = [&](const std::string& id) {
    return std::make_unique<host_fixture>(channel, "  echo: { type: echo }\n",
                                          "  replica: { id: " + id + ", lease_ttl_ms: 3000 }\n",
                                          state);
  };

  auto a = replica("replica-a");
  ASSERT_FALSE(a->base.empty()) << a->logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }))
      << a->logs();
  auto b = replica("replica-b");
  ASSERT_FALSE(b->base.empty()) << b->logs();
  ASSERT_TRUE(channels_say(*b, "runs on replica replica-a")) << b->logs();
  EXPECT_TRUE(b->wait_status("/readyz", 200));

  // Served by a while b stands by.
  fake.inject("before@im.wechat", "before the kill");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return answers_to(fake, "before@im.wechat") == 1; }))
      << a->logs();

  a->proc->signal(SIGKILL);
  ASSERT_EQ(a->proc->wait(10s), 128 + SIGKILL);
  const auto killed = steady_clock::now();
  // Sent while nobody polls: acknowledged by nobody yet, it waits on the platform.
  fake.inject("during@im.wechat", "while nobody polls");

  ASSERT_TRUE(fake_ilink::wait_for([&] { return answers_to(fake, "during@im.wechat") == 1; }, 30))
      << b->logs();
  const auto failover = duration_cast<milliseconds>(steady_clock::now() - killed);
  std::printf(
      "replica killed -> the other replica answered the account's next message: %lld ms "
      "(lease TTL 3000 ms)\n",
      static_cast<long long>(failover.count()));
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(answers_to(fake, "before@im.wechat"), 1u) << "answered twice after the failover";
  EXPECT_EQ(answers_to(fake, "during@im.wechat"), 1u);
  EXPECT_EQ(db.query("SELECT owner, token FROM leases WHERE name = 'channel:wx'"),
            (std::vector<std::vector<std::string>>{{"replica-b", "2"}}));

  b->proc->signal(SIGTERM);
  EXPECT_EQ(b->proc->wait(20s), 0);
}

}  // namespace
