// Backpressure before acknowledgement (host.admission) with the real Weixin plugin in a real
// `patchbay run` against the fake iLink server and a slow http agent served by the test: with room
// for 2 turns past intake, a batch of messages from several users is partly refused before the
// host stores it; the plugin keeps its cursor (iLink delivers the batch again), waits the host's
// retry_after instead of treating the poll as failed, and in the end every user is answered
// exactly once, never with a "busy" answer, and the refusals are counted.
#include "fake_ilink_process.hpp"
#include "held_agent.hpp"
#include "host_fixture.hpp"

namespace {
using namespace wxtest;
using pbtest::host_fixture;

std::string held_channel(const fake_ilink& fake, const account& acct) {
  std::string y = channel_yaml(fake, acct);
  const std::string from = "agent: echo";
  y.replace(y.find(from), from.size(), "agent: held");
  return y;
}

TEST(WeixinAdmission, ARefusedBatchKeepsTheCursorAndEveryUserIsAnsweredOnce) {
  fake_ilink fake({"--hold-ms", "300"});
  ASSERT_FALSE(fake.accounts.empty());
  pbtest::held_agent agent(300ms);
  host_fixture h(held_channel(fake, fake.accounts[0]), agent.yaml(),
                 "  admission: { max_turns_in_flight: 1, max_pending_turns: 1, "
                 "retry_after_ms: 200 }\n");
  ASSERT_FALSE(h.base.empty()) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return !fake.requests_to("getupdates").empty(); }))
      << h.logs();

  constexpr int users = 5;
  auto user = [](int i) { return "user" + std::to_string(i) + "@im.wechat"; };
  for (int i = 0; i < users; ++i) fake.inject(user(i), "hello " + std::to_string(i));
  auto replies_to = [&](const std::string& u) {
    std::vector<std::string> out;
    for (const auto& s : fake.sent())
      if (str(s, "to") == u) out.push_back(str(s, "text"));
    return out;
  };
  ASSERT_TRUE(fake_ilink::wait_for(
      [&] {
        for (int i = 0; i < users; ++i)
          if (replies_to(user(i)).empty()) return false;
        return true;
      },
      60))
      << h.logs() << fake.logs();
  std::this_thread::sleep_for(1s);  // room for a wrong second answer to show up
  for (int i = 0; i < users; ++i)
    EXPECT_EQ(replies_to(user(i)), std::vector<std::string>{"echo: hello " + std::to_string(i)});
  for (const auto& [text, n] : agent.asked()) EXPECT_EQ(n, 1) << text;
  EXPECT_EQ(agent.asked().size(), static_cast<size_t>(users));
  EXPECT_EQ(agent.max_held(), 1u);

  // The cursor was kept: iLink delivered messages again (more messages in getupdates answers than
  // were injected), and a poll after a refused batch carried the cursor that fetched it.
  int64_t delivered = 0;
  for (const auto& r : fake.requests_to("getupdates")) delivered += num(r, "msgs");
  EXPECT_GT(delivered, users);
  const std::string scrape = h.get("/metrics").body;
  const std::string series = R"(patchbay_inbound_refused_total{channel="wx",reason="overload"} )";
  const auto at = scrape.find(series);
  ASSERT_NE(at, std::string::npos) << scrape;
  EXPECT_GE(std::stod(scrape.substr(at + series.size())), 1.0);
  // The overload is no poll failure: the channel never went reconnecting for it.
  EXPECT_EQ(h.logs().find("getupdates failed"), std::string::npos);
  EXPECT_EQ(scrape.find(R"(patchbay_channel_reconnects_total{channel="wx"} 1)"), std::string::npos);
}

}  // namespace
