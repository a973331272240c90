// Honest health of the real Weixin plugin in a real `patchbay run` against the fake iLink server:
// every getupdates answer (an empty long poll included) is a liveness proof, so a quiet account
// stays `connected` window after window; a frozen server (the `stall` fault: the plugin's own
// timeouts read as empty polls, it never notices) is shown `degraded` within one window; and
// GET /healthz/channels turns 503 when the fake is killed and 200 again when it is back on the
// same port.
#include <chrono>

#include "fake_ilink_process.hpp"
#include "host_fixture.hpp"

namespace {
using namespace wxtest;
using pbtest::host_fixture;
using std::chrono::steady_clock;

const char* fast_poll =
    "      longpolling_timeout_ms: 1500\n"
    "      retry_backoff_initial_ms: 200\n"
    "      retry_backoff_max_ms: 1000\n"
    "      connect_timeout_ms: 1000\n";

struct channel_view {
  std::string state, reason;
  int64_t last_liveness = 0, window = 0;
};

channel_view view_of(host_fixture& h, const std::string& id = "wx") {
  auto r = h.get("/v1/channels", pbtest::token);
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return {};
  for (const auto& c : v.at("channels").as_array())
    if (str(c, "id") == id)
      return {str(c, "state"), str(c, "reason"), num(c, "last_liveness_unix_ms"),
              num(c, "liveness_window_ms")};
  return {};
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(WeixinHealth, QuietAccountStaysConnectedPastSeveralWindows) {
  fake_ilink fake({"--hold-ms", "1500"});
  host_fixture h(channel_yaml(fake, fake.accounts[0], fast_poll));
  ASSERT_TRUE(fake_ilink::wait_for([&] { return view_of(h).state == "connected"; })) << h.logs();
  // The window: two holds of 1.5 s plus the poll's 0.5 s margin.
  ASSERT_TRUE(fake_ilink::wait_for([&] { return view_of(h).window == 3500; })) << h.logs();
  const auto until = steady_clock::now() + std::chrono::milliseconds(3 * 3500 + 1000);
  int samples = 0;
  while (steady_clock::now() < until) {  // nobody writes: only empty long polls answer
    auto v = view_of(h);
    ASSERT_EQ(v.state, "connected") << v.reason << "\n" << h.logs();
    ++samples;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(samples, 20);
  EXPECT_TRUE(fake.sent().empty());
}

TEST(WeixinHealth, FrozenServerIsDegradedWithinOneWindow) {
  fake_ilink fake({"--hold-ms", "1500"});
  host_fixture h(channel_yaml(fake, fake.accounts[0], fast_poll));
  ASSERT_TRUE(fake_ilink::wait_for([&] { return view_of(h).window == 3500; })) << h.logs();
  ASSERT_EQ(view_of(h).state, "connected");
  // Every getupdates from now on is held a minute without an answer: the plugin's first-byte
  // deadline reads as an empty poll, so the plugin itself keeps saying "connected".
  fake.fault(json::object{{"kind", "stall"}, {"count", -1}, {"duration_ms", 60000}});
  const int64_t armed = wall_ms();
  channel_view degraded;
  ASSERT_TRUE(fake_ilink::wait_for(
      [&] {
        degraded = view_of(h);
        return degraded.state != "connected";
      },
      30))
      << h.logs();
  const int64_t seen = wall_ms();
  EXPECT_EQ(degraded.state, "degraded");
  EXPECT_NE(degraded.reason.find("no sign of life"), std::string::npos) << degraded.reason;
  // Within one window of the last proof (a poll parked before the fault may still have answered
  // after it), with a second of slack for polling this API; and so within a window plus one
  // hold of arming the fault.
  EXPECT_LE(seen - degraded.last_liveness, 3500 + 1000);
  EXPECT_LE(seen - armed, 3500 + 1500 + 1000);
  EXPECT_NE(h.wait_for_log("degraded although its plugin reports connected")
                .find("degraded although its plugin reports connected"),
            std::string::npos);

  fake.call("POST", "/_fake/reset");  // answers again: connected with the next poll
  EXPECT_TRUE(fake_ilink::wait_for([&] { return view_of(h).state == "connected"; }, 60))
      << h.logs();
}

TEST(WeixinHealth, HealthzChannelsFollowsAKilledAndRestartedServer) {
  auto fake =
      std::make_unique<fake_ilink>(std::vector<std::string>{"--hold-ms", "500", "--seed", "11"});
  const std::string listen = str(fake->first_line, "listen");
  ASSERT_FALSE(listen.empty());
  const auto acct = fake->accounts.at(0);
  host_fixture h(channel_yaml(*fake, acct, fast_poll), "  echo: { type: echo }\n",
                 "  health: { channel_grace_ms: 2000, report_interval_ms: 1000 }\n");
  ASSERT_TRUE(h.wait_status("/healthz/channels", 200)) << h.logs();
  ASSERT_TRUE(fake_ilink::wait_for([&] { return view_of(h).state == "connected"; })) << h.logs();

  fake.reset();  // SIGTERM: the port refuses connections
  patchbay::kit::http_client_response r;
  ASSERT_TRUE(fake_ilink::wait_for(
      [&] {
        r = h.get("/healthz/channels");
        return r.status == 503;
      },
      30))
      << h.logs();
  auto body = json::parse(r.body).as_object();
  EXPECT_EQ(body.at("unhealthy").as_array(), json::array{"wx"});
  EXPECT_GE(num(body.at("channels").as_array().at(0), "down_for_ms"), 2000);
  EXPECT_NE(view_of(h).state, "connected");
  // Never quiet: the failing channel is logged at error level with its reason.
  const std::string log = h.wait_for_log("channel wx is not working");
  EXPECT_NE(log.find("channel wx is not working"), std::string::npos) << log;

  // Back on the same port with the same seed (same token): healthy again.
  fake = std::make_unique<fake_ilink>(
      std::vector<std::string>{"--hold-ms", "500", "--seed", "11", "--listen", listen});
  ASSERT_EQ(fake->accounts.at(0).bot_token, acct.bot_token);
  EXPECT_TRUE(h.wait_status("/healthz/channels", 200)) << h.logs();
  EXPECT_EQ(view_of(h).state, "connected");
}

}  // namespace
