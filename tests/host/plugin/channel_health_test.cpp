// The host's health rules on an injected clock, without sockets: the watchdog (a `connected`
// report without a sign of life within its window is `degraded`), outbound auth failures as
// evidence, a plugin that never reports liveness trusted on its state, the grace of
// /healthz/channels, the error log "never quiet" interval, inbound per minute, and the
// /v1/channels and /healthz/channels JSON.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/routes.hpp"
#include "messages/messages.hpp"
#include "plugin/channel_health.hpp"

namespace {
using namespace patchbay;
using plugin::channel_state;
namespace json = boost::json;

constexpr int64_t t0 = 1'700'000'000'000;  // a fixed wall-clock origin (ms)

struct clock_fixture : ::testing::Test {
  int64_t now = t0;
  plugin::status_board board{[this] { return now; }};

  void add(const std::string& id, bool enabled = true) {
    plugin::channel_status c;
    c.id = id;
    c.enabled = enabled;
    c.state = enabled ? channel_state::pending : channel_state::disabled;
    c.since_unix_ms = now;
    board.add(c);
  }
  void report(const std::string& id, channel_state s, const std::string& reason = "") {
    board.update(id, [&](plugin::channel_status& c) {
      if (c.state != s) c.since_unix_ms = now;
      c.state = s;
      c.reason = reason;
    });
  }
  void proof(const std::string& id, uint32_t window_ms, int32_t kind = PB_LIVENESS_PONG) {
    board.record_liveness(id, pb_liveness{sizeof(pb_liveness), kind, window_ms});
  }
  plugin::channel_status get(const std::string& id) const {
    for (auto& c : board.snapshot())
      if (c.id == id) return c;
    ADD_FAILURE() << "no channel " << id;
    return {};
  }
  json::object channel_json(const std::string& id) const {
    const json::value v = json::parse(board.to_json());
    for (const auto& c : v.at("channels").as_array())
      if (c.at("id").as_string() == id) return c.as_object();
    return {};
  }
};

using HealthRules = clock_fixture;

TEST_F(HealthRules, ConnectedWithoutSignOfLifePastItsWindowIsDegraded) {
  add("ws");
  report("ws", channel_state::connected);
  proof("ws", 3000);
  now += 2999;
  EXPECT_EQ(get("ws").state, channel_state::connected);
  now += 2;  // 3001 ms since the last proof
  auto c = get("ws");
  EXPECT_EQ(c.state, channel_state::degraded);
  EXPECT_EQ(c.reported_state, channel_state::connected);
  EXPECT_NE(c.reason.find("no sign of life for 3 s"), std::string::npos) << c.reason;
  EXPECT_EQ(c.since_unix_ms, t0 + 3000);  // when the window ran out
  now += 95'000;
  EXPECT_NE(get("ws").reason.find("no sign of life for 98 s"), std::string::npos);

  proof("ws", 3000);  // a pong: alive again
  EXPECT_EQ(get("ws").state, channel_state::connected);
  now += 10'000;
  EXPECT_EQ(get("ws").state, channel_state::degraded);
  board.record_inbound("ws", PB_INBOUND_ACCEPTED);  // an accepted event proves it too
  EXPECT_EQ(get("ws").state, channel_state::connected);
}

TEST_F(HealthRules, AQuietAccountWithAHeartbeatStaysConnected) {
  add("poll");
  report("poll", channel_state::connected);
  for (int i = 0; i < 100; ++i) {  // 100 windows of an idle long poll, answered every 2.5 s
    now += 2500;
    proof("poll", 3000, PB_LIVENESS_POLL);
    ASSERT_EQ(get("poll").state, channel_state::connected) << "after " << i << " polls";
  }
  EXPECT_EQ(get("poll").inbound_last_minute, 0u);
}

TEST_F(HealthRules, APluginThatNeverReportsLivenessIsTrustedOnItsState) {
  add("old");  // e.g. built against ABI 1.1
  report("old", channel_state::connected);
  now += int64_t{30} * 24 * 3600 * 1000;  // four weeks later, still as reported
  EXPECT_EQ(get("old").state, channel_state::connected);
  EXPECT_EQ(channel_json("old").at("liveness_window_ms").to_number<int64_t>(), 0);
  // A proof without a window records the time but sets no deadline either.
  proof("old", 0, PB_LIVENESS_API_OK);
  now += int64_t{3600} * 1000;
  EXPECT_EQ(get("old").state, channel_state::connected);
}

TEST_F(HealthRules, TheRulesNeverOverrideAReportedProblem) {
  add("r");
  proof("r", 1000);
  report("r", channel_state::reconnecting, "connection lost");
  now += 60'000;
  auto c = get("r");
  EXPECT_EQ(c.state, channel_state::reconnecting);
  EXPECT_EQ(c.reason, "connection lost");
}

TEST_F(HealthRules, ReconnectingCountsAsProof) {
  add("ws");
  proof("ws", 3000);
  now += 60'000;
  report("ws", channel_state::reconnecting, "dropped");
  now += 1000;
  report("ws", channel_state::connected);  // a fresh connection proves itself
  EXPECT_EQ(get("ws").state, channel_state::connected);
  now += 3001;
  EXPECT_EQ(get("ws").state, channel_state::degraded);
}

TEST_F(HealthRules, AuthFailuresDegradeUntilASendOrEditSucceeds) {
  add("fs");
  report("fs", channel_state::connected);
  messages::op_result ok;
  messages::op_result auth{PB_ERR_AUTH, "invalid access token (99991663)", 0, {}};
  messages::op_result slow{PB_ERR_RATE_LIMITED, "slow down", 500, {}};
  board.record_op("fs", "send", ok);
  board.record_op("fs", "send", slow);  // not a credentials problem
  EXPECT_EQ(get("fs").state, channel_state::connected);
  now += 1000;
  const int64_t first_failure = now;
  for (int i = 0; i < 3; ++i) {  // three replies undeliverable
    board.record_op("fs", "send", auth);
    now += 500;
  }
  board.record_op("fs", "edit", auth);
  auto c = get("fs");
  EXPECT_EQ(c.state, channel_state::degraded);
  EXPECT_EQ(c.reason, "platform refuses our credentials: invalid access token (99991663)");
  EXPECT_EQ(c.since_unix_ms, first_failure);
  auto j = channel_json("fs");
  EXPECT_EQ(j.at("outbound").at("sends").at("auth").to_number<uint64_t>(), 3u);
  EXPECT_EQ(j.at("outbound").at("sends").at("ok").to_number<uint64_t>(), 1u);
  EXPECT_EQ(j.at("outbound").at("sends").at("rate_limited").to_number<uint64_t>(), 1u);
  EXPECT_EQ(j.at("outbound").at("edits").at("auth").to_number<uint64_t>(), 1u);
  EXPECT_EQ(j.at("outbound").at("last_failure").at("class").as_string(), "auth");
  EXPECT_EQ(j.at("outbound").at("last_failure").at("what").as_string(), "edit");
  EXPECT_EQ(j.at("last_error").at("text").as_string(),
            "platform refuses our credentials: invalid access token (99991663)");

  // A typing request or a download can succeed without the platform checking the credentials
  // (a STOP with nothing to remove, a CDN URL): only a message sent or edited clears it.
  board.record_op("fs", "typing", ok);
  board.record_op("fs", "fetch", ok);
  EXPECT_EQ(get("fs").state, channel_state::degraded);
  board.record_op("fs", "send", ok);
  EXPECT_EQ(get("fs").state, channel_state::connected);
  EXPECT_FALSE(channel_json("fs").at("last_error").is_null());  // the last error stays on record
}

TEST_F(HealthRules, GraceOfTheChannelHealthVerdict) {
  add("a");
  add("b");
  add("off", false);
  report("a", channel_state::connected);
  report("b", channel_state::starting);
  auto v = plugin::evaluate(board.snapshot(), now, 60'000);
  EXPECT_TRUE(v.healthy);  // b is within its grace
  now += 60'001;
  v = plugin::evaluate(board.snapshot(), now, 60'000);
  EXPECT_FALSE(v.healthy);
  EXPECT_EQ(v.unhealthy, std::vector<std::string>{"b"});  // never the disabled one
  // Flapping between problem states does not restart the count: still down since t0.
  report("b", channel_state::reconnecting, "x");
  report("b", channel_state::failed, "y");
  v = plugin::evaluate(board.snapshot(), now, 60'000);
  EXPECT_EQ(v.channels[1].down_for_ms, 60'001);
  report("b", channel_state::connected);
  EXPECT_TRUE(plugin::evaluate(board.snapshot(), now, 60'000).healthy);
  // A channel the watchdog degrades counts as down from when its window ran out.
  proof("a", 1000);
  now += 61'000;
  proof("b", 1000, PB_LIVENESS_PONG);
  v = plugin::evaluate(board.snapshot(), now, 60'000);
  EXPECT_EQ(v.unhealthy, std::vector<std::string>{});
  now += 1;
  v = plugin::evaluate(board.snapshot(), now, 60'000);
  EXPECT_EQ(v.unhealthy, std::vector<std::string>{"a"});
}

TEST_F(HealthRules, FailingChannelsAreLoggedAtErrorLevelEveryInterval) {
  add("a");
  add("b");
  report("a", channel_state::connected);
  proof("a", 2000);
  report("b", channel_state::failed, "the app id / secret were refused");
  plugin::health_reporter rep(10'000, 300'000);
  auto lines = rep.tick(board.snapshot(), now);
  ASSERT_EQ(lines.size(), 1u);  // failed: at once, no grace
  EXPECT_TRUE(lines[0].error);
  EXPECT_EQ(lines[0].channel, "b");
  EXPECT_NE(lines[0].text.find("the app id / secret were refused"), std::string::npos);
  now += 1000;
  EXPECT_TRUE(rep.tick(board.snapshot(), now).empty());  // not again within the interval

  now += 1001;  // a's window ran out: a warning naming the override, once
  lines = rep.tick(board.snapshot(), now);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0].error);
  EXPECT_EQ(lines[0].channel, "a");
  EXPECT_NE(lines[0].text.find("degraded although its plugin reports connected"),
            std::string::npos);
  EXPECT_NE(lines[0].new_problem.find("no sign of life"), std::string::npos);
  now += 1000;
  EXPECT_TRUE(rep.tick(board.snapshot(), now).empty());

  now += 10'000;  // a is now down past the grace: an error line
  lines = rep.tick(board.snapshot(), now);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].error);
  EXPECT_EQ(lines[0].channel, "a");

  now += 300'000;  // the interval passed: both again, never quiet
  lines = rep.tick(board.snapshot(), now);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].error && lines[1].error);

  proof("a", 2000);  // recovered: one line saying so, and the failing streak ends
  lines = rep.tick(board.snapshot(), now);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].text.find("connected again"), std::string::npos);
}

TEST_F(HealthRules, InboundPerMinuteAndLastInbound) {
  add("c");
  report("c", channel_state::connected);
  for (int i = 0; i < 30; ++i) {
    board.record_inbound("c", PB_INBOUND_ACCEPTED);
    now += 1000;
  }
  board.record_inbound("c", PB_INBOUND_DUPLICATE);  // not counted as traffic
  board.record_inbound("c", PB_INBOUND_REFUSED);
  auto j = channel_json("c");
  EXPECT_EQ(j.at("inbound_last_minute").to_number<uint64_t>(), 30u);
  EXPECT_EQ(j.at("last_inbound_unix_ms").to_number<int64_t>(), t0 + 29'000);
  EXPECT_EQ(j.at("inbound").at("accepted").to_number<uint64_t>(), 30u);
  EXPECT_EQ(j.at("inbound").at("duplicates").to_number<uint64_t>(), 1u);
  now += 45'000;  // at t0 + 75 s: the events of the seconds t0 + 16 s .. t0 + 29 s are left
  EXPECT_EQ(get("c").inbound_last_minute, 14u);
  now += 3'600'000;
  EXPECT_EQ(get("c").inbound_last_minute, 0u);
}

TEST_F(HealthRules, ChannelsJsonCarriesEveryEvidenceField) {
  add("c");
  report("c", channel_state::reconnecting, "connection lost: eof");
  board.update("c", [&](plugin::channel_status& s) {
    s.attempt = 3;
    s.next_attempt_unix_ms = now + 4000;
  });
  board.set_in_flight_probe("c", [] { return plugin::status_board::in_flight_reading{2, 1500}; });
  auto j = channel_json("c");
  for (const char* key :
       {"id", "plugin", "plugin_version", "platform", "enabled", "state", "reason", "since_unix_ms",
        "started", "inbound", "last_inbound_unix_ms", "last_liveness_unix_ms", "liveness_window_ms",
        "last_error", "attempt", "next_attempt_unix_ms", "outbound", "inbound_last_minute"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j.at("attempt").to_number<int64_t>(), 3);
  EXPECT_EQ(j.at("next_attempt_unix_ms").to_number<int64_t>(), now + 4000);
  EXPECT_EQ(j.at("last_error").at("text").as_string(), "connection lost: eof");
  EXPECT_EQ(j.at("last_error").at("unix_ms").to_number<int64_t>(), now);
  EXPECT_EQ(j.at("outbound").at("in_flight").to_number<uint64_t>(), 2u);
  EXPECT_EQ(j.at("outbound").at("oldest_in_flight_ms").to_number<int64_t>(), 1500);
  EXPECT_TRUE(j.at("outbound").at("last_failure").is_null());
  report("c", channel_state::connected);
  j = channel_json("c");
  EXPECT_EQ(j.at("attempt").to_number<int64_t>(),
            3);  // as the plugin reported it (0 once it says so)
  add("fresh");
  j = channel_json("fresh");
  EXPECT_TRUE(j.at("last_error").is_null());
  EXPECT_EQ(j.at("next_attempt_unix_ms").to_number<int64_t>(), 0);
}

kit::http_request get_request(const std::string& path, const std::string& method = "GET") {
  kit::http_request r;
  r.method = method;
  r.target = r.path = path;
  return r;
}

TEST_F(HealthRules, HealthzChannelsAnswers503NamingChannelsDownPastTheGrace) {
  api::api_context ctx{board, {"tok"}, std::chrono::steady_clock::now()};
  ctx.channel_grace = std::chrono::milliseconds(5000);
  add("up");
  add("down");
  add("off", false);
  report("up", channel_state::connected);
  auto r = api::handle_api_request(ctx, get_request("/healthz/channels"));
  EXPECT_EQ(r.status, 200u);  // no token needed, like /healthz
  now += 5001;
  r = api::handle_api_request(ctx, get_request("/healthz/channels"));
  EXPECT_EQ(r.status, 503u);
  auto v = json::parse(r.body).as_object();
  EXPECT_FALSE(v.at("healthy").as_bool());
  EXPECT_EQ(v.at("unhealthy").as_array(), json::array{"down"});
  EXPECT_NE(std::string(v.at("reason").as_string()).find("down"), std::string::npos);
  EXPECT_EQ(v.at("grace_ms").to_number<int64_t>(), 5000);
  auto channels = v.at("channels").as_array();
  ASSERT_EQ(channels.size(), 3u);
  EXPECT_EQ(channels[1].at("state").as_string(), "pending");
  EXPECT_EQ(channels[1].at("down_for_ms").to_number<int64_t>(), 5001);
  EXPECT_FALSE(channels[1].at("healthy").as_bool());
  EXPECT_TRUE(channels[2].at("healthy").as_bool());  // disabled: never unhealthy
  EXPECT_EQ(r.body.find("tok"), std::string::npos);
  report("down", channel_state::connected);
  EXPECT_EQ(api::handle_api_request(ctx, get_request("/healthz/channels")).status, 200u);
  EXPECT_EQ(api::handle_api_request(ctx, get_request("/healthz/channels", "POST")).status, 405u);
}

TEST(DescribeDuration, ReadsWell) {
  EXPECT_EQ(plugin::describe_duration(0), "0 s");
  EXPECT_EQ(plugin::describe_duration(95'400), "95 s");
  EXPECT_EQ(plugin::describe_duration(125'000), "2 min 5 s");
  EXPECT_EQ(plugin::describe_duration(int64_t{3} * 3600 * 1000 + 240'000), "3 h 4 min");
  EXPECT_EQ(plugin::describe_duration(-5), "0 s");
}

}  // namespace
