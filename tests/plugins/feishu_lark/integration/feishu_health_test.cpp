// Honest health of the real feishu plugin in a real `patchbay run` against the fake Feishu server
// (PingInterval 1 s, so the liveness window is 3 s): a quiet account whose pongs keep coming stays
// `connected` past several windows; a stalled connection (pings unanswered) is not `connected`
// within one window; and when the platform refuses every tenant token, undeliverable replies make
// the channel `degraded` with the reason until a send works again.
#include <chrono>

#include "fake_feishu.hpp"
#include "host_fixture.hpp"

namespace {
using namespace fstest;
using pbtest::host_fixture;
using std::chrono::steady_clock;

const std::string echo = "  echo: { type: echo, chunks: 1, delay_ms: 0 }\n";

struct channel_view {
  std::string state, reason;
  int64_t last_liveness = 0, window = 0;
  json::object raw;
};

channel_view view_of(host_fixture& h, const std::string& id = "fs") {
  auto r = h.get("/v1/channels", pbtest::token);
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return {};
  for (const auto& c : v.at("channels").as_array())
    if (str(c, "id") == id)
      return {str(c, "state"), str(c, "reason"), num(c, "last_liveness_unix_ms"),
              num(c, "liveness_window_ms"), c.as_object()};
  return {};
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(FeishuHealth, QuietAccountWithLivePingsStaysConnected) {
  fake_feishu fake;
  fake.config(json::object{{"ping_interval_s", 1}});
  host_fixture h(
      channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket", fast_reconnect_yaml()),
      echo);
  ASSERT_TRUE(wait_for([&] { return view_of(h).window == 3000; })) << h.logs();
  const auto until = steady_clock::now() + std::chrono::milliseconds(4 * 3000);
  int samples = 0;
  while (steady_clock::now() < until) {
    auto v = view_of(h);
    ASSERT_EQ(v.state, "connected") << v.reason << "\n" << h.logs();
    ++samples;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(samples, 20);
  EXPECT_EQ(fake.opened_connections(), 1u);  // the same connection all along
}

TEST(FeishuHealth, StalledConnectionIsNotConnectedWithinOneWindow) {
  fake_feishu fake;
  fake.config(json::object{{"ping_interval_s", 1}});
  // A long first backoff, so the channel stays visibly not connected for a while.
  host_fixture h(channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket",
                              fast_reconnect_yaml(3000, 6000, 1000, 10000)),
                 echo);
  ASSERT_TRUE(wait_for([&] { return view_of(h).window == 3000; })) << h.logs();
  fake.fault(json::object{{"kind", "stall"}, {"duration_ms", 8000}});
  const int64_t armed = wall_ms();
  channel_view down;
  ASSERT_TRUE(wait_for(
      [&] {
        down = view_of(h);
        return down.state != "connected";
      },
      30))
      << h.logs();
  const int64_t seen = wall_ms();
  // The plugin's own supervisor (no frame for PingInterval + margin) or the host's watchdog,
  // whichever comes first: within one window (3 s) of the last proof, a second of slack.
  EXPECT_LE(seen - down.last_liveness, 3000 + 1000) << down.state << ": " << down.reason;
  EXPECT_LE(seen - armed, 3000 + 1000);
  EXPECT_TRUE(wait_for([&] { return view_of(h).state == "connected"; }, 40)) << h.logs();
}

TEST(FeishuHealth, RefusedTokensMakeTheChannelDegradedUntilASendWorks) {
  fake_feishu fake;
  host_fixture h(
      channel_yaml("fs", PB_FEISHU_PLUGIN, fake, fake.apps[0], "websocket", fast_reconnect_yaml()),
      echo);
  ASSERT_TRUE(wait_for([&] { return view_of(h).state == "connected"; })) << h.logs();
  // Every Open API call but the token fetch answers 99991663 (invalid access token).
  fake.fault(json::object{{"kind", "invalid_token"}, {"count", -1}});
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(str(fake.inject_text("reply " + std::to_string(i) + " please"), "event_id"));
  // Each event is stored (acked) and answered; the answers fail with auth errors.
  ASSERT_TRUE(wait_for([&] {
    for (const auto& id : ids)
      if (!fake.acked_ok(id)) return false;
    return true;
  })) << h.logs();
  channel_view v;
  ASSERT_TRUE(wait_for(
      [&] {
        v = view_of(h);
        const auto* sends =
            v.raw.at("outbound").as_object().at("sends").as_object().if_contains("auth");
        return sends != nullptr && sends->to_number<int64_t>() >= 3;
      },
      30))
      << h.logs();
  EXPECT_EQ(v.state, "degraded");
  EXPECT_EQ(str(v.raw, "reported_state"), "connected");  // what the plugin itself says
  EXPECT_EQ(v.reason.rfind("platform refuses our credentials: ", 0), 0u) << v.reason;
  EXPECT_NE(v.reason.find("99991663"), std::string::npos) << v.reason;
  EXPECT_TRUE(fake.messages().empty());
  const auto& failure = v.raw.at("outbound").at("last_failure").as_object();
  EXPECT_EQ(str(failure, "class"), "auth");
  EXPECT_EQ(str(v.raw.at("last_error").as_object(), "text"), v.reason);

  fake.call("POST", "/_fake/reset");  // the token works again
  auto in = fake.inject_text("and now?");
  ASSERT_TRUE(wait_for([&] { return !fake.bot_messages(str(in, "message_id")).empty(); }))
      << h.logs();
  EXPECT_TRUE(wait_for([&] { return view_of(h).state == "connected"; })) << h.logs();
}

}  // namespace
