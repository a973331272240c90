// The session guard end to end: -14 → notifyStart → resumed (counting requests); notifyStart
// failing → backoff 1x, 2x, 4x … capped (scaled timings: a config option, no real minutes);
// sends go out while the poll is paused; persistent -14 → degraded "re-login needed", healed by
// a re-login on the server side.
#include <signal.h>

#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"

namespace {
using namespace wxtest;
using pbtest::host_fixture;

size_t count_sent_to(const fake_ilink& fake, const std::string& user) {
  size_t n = 0;
  for (const auto& s : fake.sent()) n += str(s, "to") == user;
  return n;
}

std::string channel_state(host_fixture& h) {
  auto v = json::parse(h.get("/v1/channels", pbtest::token).body);
  for (const auto& c : v.at("channels").as_array())
    if (str(c, "id") == "wx") return str(c, "state") + ": " + str(c, "reason");
  return "?";
}

TEST(WeixinSession, ExpiredSessionRecoversWithOneNotifyStart) {
  fake_ilink fake;
  host_fixture h(channel_yaml(fake, fake.accounts[0]));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }));
  const size_t starts_before = fake.requests_to("notifystart").size();
  const size_t polls_before = fake.requests_to("getupdates").size();
  fake.fault({{"kind", "expire_session"}});
  fake.inject("dave@im.wechat", "after expiry");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return count_sent_to(fake, "dave@im.wechat") == 1; }))
      << h.logs();
  // Exactly one notifyStart healed it: no 60-minute pause, no busy loop.
  auto starts = fake.requests_to("notifystart");
  EXPECT_EQ(starts.size(), starts_before + 1) << h.logs();
  auto polls = fake.requests_to("getupdates");
  size_t expired = 0;
  for (size_t i = polls_before - 1; i < polls.size(); ++i)
    expired += num(polls[i], "errcode") == -14;
  EXPECT_GE(expired, 1u);
  EXPECT_LE(expired, 2u) << h.logs();
  // The recovery call came after the -14 and before the poll that delivered the message.
  EXPECT_EQ(num(starts.back(), "errcode"), 0);
  EXPECT_NE(h.logs().find("notifyStart accepted"), std::string::npos);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(WeixinSession, FailingNotifyStartBacksOffDoublingToTheCap) {
  // Scaled: 300 ms doubling, capped at 1200 ms (production: 5 s doubling, capped at 300 s).
  fake_ilink fake;
  host_fixture h(channel_yaml(fake, fake.accounts[0],
                              "      session_backoff_initial_ms: 300\n"
                              "      session_backoff_max_ms: 1200\n"));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }));
  const size_t starts_before = fake.requests_to("notifystart").size();
  fake.fault({{"kind", "fail_notifystart"}, {"count", 5}});
  fake.fault({{"kind", "expire_session"}});
  // Six notifyStart calls: five fail, the sixth heals the session.
  ASSERT_TRUE(fake_ilink::wait_for(
      [&] { return fake.requests_to("notifystart").size() >= starts_before + 6; }, 30))
      << h.logs();
  fake.inject("erin@im.wechat", "back again");
  ASSERT_TRUE(fake_ilink::wait_for([&] { return count_sent_to(fake, "erin@im.wechat") == 1; }))
      << h.logs();
  auto starts = fake.requests_to("notifystart");
  std::vector<int64_t> gaps;
  for (size_t i = starts_before + 1; i < starts_before + 6; ++i)
    gaps.push_back(num(starts[i], "time_ms") - num(starts[i - 1], "time_ms"));
  ASSERT_EQ(gaps.size(), 5u);
  // Doubling (timers never fire early) …
  EXPECT_GE(gaps[0], 300);
  EXPECT_GE(gaps[1], 600);
  EXPECT_GE(gaps[2], 1200);
  EXPECT_GE(gaps[3], 1200);
  EXPECT_GE(gaps[4], 1200);
  // … and capped: the uncapped sequence would wait 2400 and 4800 ms.
  EXPECT_LT(gaps[3], 2400);
  EXPECT_LT(gaps[4], 2400);
  for (size_t i = starts_before; i < starts_before + 5; ++i)
    EXPECT_NE(num(starts[i], "errcode"), 0);
  EXPECT_EQ(num(starts[starts_before + 5], "errcode"), 0);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(WeixinSession, SendGoesOutWhileThePollIsPaused) {
  fake_ilink fake;
  // A slow echo: the reply is due while the poll is paused by an expired session whose
  // notifyStart keeps failing (hard expiry), with a long backoff.
  host_fixture h(channel_yaml(fake, fake.accounts[0], "      session_backoff_initial_ms: 60000\n"),
                 "  echo: { type: echo, delay_ms: 1500, chunks: 2 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }));
  const size_t polls_before = fake.requests_to("getupdates").size();
  fake.inject("frank@im.wechat", "reply while paused");
  // The plugin handed the message over and polls again: now expire the session for good.
  ASSERT_TRUE(fake_ilink::wait_for(
      [&] { return fake.requests_to("getupdates").size() >= polls_before + 1; }));
  fake.fault({{"kind", "expire_session_hard"}});
  ASSERT_TRUE(fake_ilink::wait_for([&] {
    auto s = fake.requests_to("notifystart");
    return s.size() >= 2 && num(s.back(), "errcode") != 0;
  })) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return count_sent_to(fake, "frank@im.wechat") == 1; }))
      << h.logs();
  // The poll stayed paused meanwhile: no getupdates after the failed notifyStart.
  auto polls = fake.requests_to("getupdates");
  auto starts = fake.requests_to("notifystart");
  int64_t failed_at = num(starts.back(), "time_ms");
  for (const auto& p : polls) EXPECT_LE(num(p, "time_ms"), failed_at);
  ASSERT_EQ(fake.requests_to("sendmessage").size(), 1u);
  EXPECT_GE(num(fake.requests_to("sendmessage").back(), "time_ms"), failed_at);  // while paused
  EXPECT_EQ(num(fake.requests_to("sendmessage").back(), "errcode"), 0);
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

TEST(WeixinSession, PersistentExpiryNeedsAReloginAndHealsAfterIt) {
  fake_ilink fake;
  host_fixture h(channel_yaml(fake, fake.accounts[0],
                              "      session_backoff_initial_ms: 100\n"
                              "      session_backoff_max_ms: 300\n"
                              "      relogin_after_ms: 1000\n"));
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }));
  fake.fault({{"kind", "expire_session_hard"}});
  ASSERT_TRUE(fake_ilink::wait_for([&] { return channel_state(h).rfind("degraded", 0) == 0; }))
      << channel_state(h) << h.logs();
  EXPECT_NE(channel_state(h).find("re-login needed"), std::string::npos);
  EXPECT_NE(h.logs().find("re-login needed"), std::string::npos);
  // `patchbay status` shows it too.
  std::string out, err;
  pbtest::run_command({PB_PATCHBAY_BIN, "status", "--url", h.base, "--token", pbtest::token}, out,
                      err);
  EXPECT_NE(out.find("re-login needed"), std::string::npos) << out << err;
  // The operator logs in again (server side): the next notifyStart heals it, the poll resumes
  // and delivers, and the first good poll clears the status.
  fake.call("POST", "/_fake/relogin", {{"account", fake.accounts[0].account_id}});
  fake.inject("gina@im.wechat", "healed");
  EXPECT_TRUE(fake_ilink::wait_for([&] { return count_sent_to(fake, "gina@im.wechat") == 1; }))
      << h.logs();
  EXPECT_TRUE(fake_ilink::wait_for([&] { return channel_state(h).rfind("connected", 0) == 0; }))
      << channel_state(h) << h.logs();
  h.proc->signal(SIGTERM);
  EXPECT_EQ(h.proc->wait(20s), 0);
}

}  // namespace
