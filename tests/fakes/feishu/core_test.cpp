// fake_feishu without sockets: discovery, tickets, the long connection (pong, push, fragments,
// acks, re-push schedule, duplicates, queueing), tokens, faults.
#include <set>

#include "feishu_lark/proto/events.hpp"
#include "feishu_lark/proto/fragments.hpp"
#include "harness.hpp"

namespace fakes_feishu_test {
namespace {

std::string discovery_body(const feishu::app_creds& a, const std::string& secret) {
  return json::serialize(json::object{{"AppID", a.app_id}, {"AppSecret", secret}});
}

TEST(FakeFeishuCore, DiscoveryAnswersTheSdkShapeAndTicketsAreOneShot) {
  harness h;
  EXPECT_EQ(h.app.app_id.size(), 20u);
  EXPECT_EQ(h.app.app_id.rfind("cli_", 0), 0u);
  auto d = h.call("POST", "/callback/ws/endpoint", discovery_body(h.app, h.app.app_secret));
  const auto body = obj(d.response.body);
  EXPECT_EQ(body.at("code").as_int64(), 0);
  const std::string url(body.at("data").at("URL").as_string());
  EXPECT_EQ(url.rfind("wss://127.0.0.1:1/ws/v2?fpid=1&", 0), 0u) << url;
  EXPECT_NE(url.find("&device_id="), std::string::npos);
  EXPECT_NE(url.find("&service_id="), std::string::npos);
  const auto& cfg = body.at("data").at("ClientConfig").as_object();
  for (const char* k : {"PingInterval", "ReconnectCount", "ReconnectInterval", "ReconnectNonce"})
    EXPECT_TRUE(cfg.at(k).is_int64()) << k;

  const std::string target = url.substr(url.find("/ws/v2"));
  EXPECT_EQ(h.call("GET", target).what, feishu::outcome::kind::upgrade);
  const auto again = h.call("GET", target);  // the same ticket twice
  EXPECT_EQ(again.what, feishu::outcome::kind::respond);
  EXPECT_EQ(again.response.status, 403u);
  EXPECT_EQ(kit::find_header(again.response.headers, "handshake-status"), "514");

  // Wrong secret: the bad-credentials code, with a data object (node's fatal path).
  const auto bad =
      obj(h.call("POST", "/callback/ws/endpoint", discovery_body(h.app, "nope")).response.body);
  EXPECT_EQ(bad.at("code").as_int64(), 1000040345);
  EXPECT_TRUE(bad.at("data").is_object());
  const auto conns = h.control("GET", "/_fake/connections");
  ASSERT_EQ(conns.at("discoveries").as_array().size(), 2u);
  EXPECT_EQ(conns.at("discoveries").as_array()[1].at("code").as_int64(), 1000040345);
}

TEST(FakeFeishuCore, PingGetsPongAndPongConfigFaultRidesOnTheNextOne) {
  harness h;
  const auto conn = h.connect();
  auto f = h.frames(h.fake.on_frame(conn, pbbp2::encode(ff::make_ping(7))));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(pbbp2::kind_of(f[0]), pbbp2::frame_kind::pong);
  auto plain = ff::parse_pong(f[0]);  // the current ClientConfig by default (node-sdk needs one)
  ASSERT_TRUE(plain && plain->config);
  EXPECT_EQ(plain->config->reconnect_count, -1);
  h.control("POST", "/_fake/fault", {{"kind", "pong_config"}, {"ReconnectCount", 1}});
  f = h.frames(h.fake.on_frame(conn, pbbp2::encode(ff::make_ping(7))));
  ASSERT_EQ(f.size(), 1u);
  const auto info = ff::parse_pong(f[0]);
  ASSERT_TRUE(info && info->config) << (info ? info->error : "not a pong");
  EXPECT_EQ(info->config->reconnect_count, 1);
  EXPECT_EQ(info->config->ping_interval_s, 120);
  f = h.frames(h.fake.on_frame(conn, pbbp2::encode(ff::make_ping(7))));
  EXPECT_EQ(ff::parse_pong(f.at(0))->config->reconnect_count, -1);  // one pong only
  h.control("POST", "/_fake/config", {{"pong_with_config", false}});
  f = h.frames(h.fake.on_frame(conn, pbbp2::encode(ff::make_ping(7))));
  EXPECT_FALSE(f.at(0).payload.has_value());
  EXPECT_EQ(
      h.control("GET", "/_fake/connections").at("connections").as_array()[0].at("pings").as_int64(),
      4);
}

TEST(FakeFeishuCore, FragmentedEventReassemblesAndAckSettlesIt) {
  harness h;
  const auto conn = h.connect();
  const auto inj = h.control("POST", "/_fake/inject",
                             {{"text", "hello there"}, {"fragments", 3}, {"mention_bot", true}});
  auto fr = h.frames(h.last_commands);
  ASSERT_EQ(fr.size(), 3u);
  ff::fragment_reassembler r;
  ff::fragment_result done;
  for (auto& f : fr) {
    for (auto k : {"type", "message_id", "sum", "seq", "trace_id"})
      EXPECT_NE(pbbp2::find_header(f, k), nullptr) << k;
    EXPECT_LT(f.seq_id, 1ULL << 53);
    done = r.add(f, 0);
  }
  ASSERT_EQ(done.status, ff::fragment_status::complete);
  const auto env = ff::parse_envelope(*done.frame.payload);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->event_id, inj.at("event_id").as_string());
  ff::message_options mo;
  mo.bot_open_id = h.app.bot_open_id;
  const auto msg = ff::parse_message_event(*env, mo);
  ASSERT_TRUE(msg);
  EXPECT_TRUE(msg->bot_mentioned);
  EXPECT_EQ(msg->text, "hello there");
  EXPECT_EQ(msg->message_id, inj.at("message_id").as_string());

  h.ack(conn, done.frame);
  const auto ev = h.control("GET", "/_fake/events").at("events").as_array().at(0).as_object();
  EXPECT_TRUE(ev.at("acked").as_bool());
  EXPECT_EQ(ev.at("ack_code").as_int64(), 200);
  EXPECT_EQ(ev.at("ack_biz_rt").as_string(), "-3");
  EXPECT_FALSE(h.fake.next_deadline().has_value());  // nothing left to wait for
}

TEST(FakeFeishuCore, UnackedEventIsRepushedOnTheScheduleThenGivenUp) {
  harness h;
  h.control("POST", "/_fake/config",
            {{"ack_timeout_ms", 100}, {"repush_ms", json::array{1000, 5000}}});
  const auto conn = h.connect();
  h.control("POST", "/_fake/inject", {{"text", "x"}});
  auto first = h.frames(h.last_commands);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(h.fake.next_deadline(), 100);
  h.clock = 100;
  EXPECT_TRUE(h.fake.tick().empty());  // the ack deadline passed: a failure, re-push at 1100
  EXPECT_EQ(h.fake.next_deadline(), 1100);
  h.clock = 1099;
  EXPECT_TRUE(h.fake.tick().empty());
  h.clock = 1100;
  auto second = h.frames(h.fake.tick());
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(*second[0].payload, *first[0].payload);  // same event_id and message_id
  EXPECT_NE(pbbp2::header_value(second[0], "message_id"),
            pbbp2::header_value(first[0], "message_id"));
  // A code-500 ack is a failure too: re-push 5000 ms later.
  h.ack(conn, second[0], 500);
  EXPECT_EQ(h.fake.next_deadline(), 6100);
  h.clock = 6100;
  auto third = h.frames(h.fake.tick());
  ASSERT_EQ(third.size(), 1u);
  h.clock = 6200;
  h.fake.tick();
  EXPECT_FALSE(h.fake.next_deadline().has_value());
  const auto ev = h.control("GET", "/_fake/events").at("events").as_array().at(0).as_object();
  EXPECT_EQ(ev.at("state").as_string(), "given_up");
  EXPECT_EQ(ev.at("delivery_count").as_int64(), 3);
  EXPECT_FALSE(ev.at("acked").as_bool());
}

TEST(FakeFeishuCore, DuplicateIsDeliveredAgainAfterTheAck) {
  harness h;
  const auto conn = h.connect();
  h.control("POST", "/_fake/inject", {{"text", "dup"}, {"duplicate", true}});
  auto f = h.frames(h.last_commands);
  ASSERT_EQ(f.size(), 1u);
  auto again = h.frames(h.ack(conn, f[0]));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(*again[0].payload, *f[0].payload);
  EXPECT_TRUE(h.frames(h.ack(conn, again[0])).empty());
}

TEST(FakeFeishuCore, EventsWaitForAConnectionAndGoToARandomOne) {
  harness h;
  h.control("POST", "/_fake/inject", {{"text", "early"}});
  EXPECT_TRUE(h.last_commands.empty());
  h.connect();
  EXPECT_EQ(h.frames(h.last_commands).size(), 1u);  // flushed on open
  const auto c2 = h.connect();
  (void)c2;
  std::set<std::uint64_t> used;
  for (int i = 0; i < 40; ++i) {
    h.control("POST", "/_fake/inject", {{"text", "n"}});
    ASSERT_EQ(h.last_commands.size(), 1u);
    used.insert(h.last_commands[0].conn);
  }
  EXPECT_EQ(used.size(), 2u);
}

TEST(FakeFeishuCore, ConnectionLimitAndRefusalFaults) {
  harness h;
  h.control("POST", "/_fake/config", {{"max_connections_per_app", 1}});
  h.connect();
  auto d = h.call("POST", "/callback/ws/endpoint", discovery_body(h.app, h.app.app_secret));
  const std::string url(obj(d.response.body).at("data").at("URL").as_string());
  const auto over = h.call("GET", url.substr(url.find("/ws/v2")));
  EXPECT_EQ(kit::find_header(over.response.headers, "Handshake-Autherrcode"), "1000040350");

  h.control("POST", "/_fake/fault",
            {{"kind", "refuse_discovery"}, {"code", 1000040343}, {"count", 2}});
  for (int i = 0; i < 2; ++i) {
    const auto r =
        obj(h.call("POST", "/callback/ws/endpoint", discovery_body(h.app, h.app.app_secret))
                .response.body);
    EXPECT_EQ(r.at("code").as_int64(), 1000040343);
  }
  EXPECT_EQ(obj(h.call("POST", "/callback/ws/endpoint", discovery_body(h.app, h.app.app_secret))
                    .response.body)
                .at("code")
                .as_int64(),
            0);
}

TEST(FakeFeishuCore, DropAndStallFaultsTargetTheAppsConnections) {
  harness h;
  const auto conn = h.connect();
  h.control("POST", "/_fake/fault", {{"kind", "stall"}, {"duration_ms", 500}});
  ASSERT_EQ(h.last_commands.size(), 1u);
  EXPECT_EQ(h.last_commands[0].what, feishu::ws_command::kind::stall);
  EXPECT_EQ(h.last_commands[0].duration_ms, 500);
  h.control("POST", "/_fake/fault", {{"kind", "drop"}});
  ASSERT_EQ(h.last_commands.size(), 1u);
  EXPECT_EQ(h.last_commands[0].what, feishu::ws_command::kind::abort);
  h.fake.on_close(conn, "aborted");
  h.control("POST", "/_fake/fault", {{"kind", "drop"}});
  EXPECT_TRUE(h.last_commands.empty());
  EXPECT_EQ(h.fake.open_connections(), 0u);
}

TEST(FakeFeishuCore, TenantTokenIsReusedUntilHalfAnHourIsLeft) {
  harness h;
  const auto t1 = h.token();
  EXPECT_EQ(t1.rfind("t-", 0), 0u);
  h.clock = 5'000'000;  // 83 min in: 37 min left
  EXPECT_EQ(h.token(), t1);
  h.clock = 5'500'000;  // 28 min left: a new one, the old one still valid
  const auto t2 = h.token();
  EXPECT_NE(t2, t1);
  auto info = h.call("GET", "/open-apis/bot/v3/info", {}, h.auth(t1));
  EXPECT_EQ(obj(info.response.body).at("bot").at("open_id").as_string(), h.app.bot_open_id);
  h.clock = 7'200'001;  // t1 expired
  info = h.call("GET", "/open-apis/bot/v3/info", {}, h.auth(t1));
  EXPECT_EQ(info.response.status, 400u);
  EXPECT_EQ(obj(info.response.body).at("code").as_int64(), 99991663);
  const auto wrong =
      h.call("POST", "/open-apis/auth/v3/tenant_access_token/internal",
             json::serialize(json::object{{"app_id", h.app.app_id}, {"app_secret", "x"}}));
  EXPECT_EQ(obj(wrong.response.body).at("code").as_int64(), 10014);
}

TEST(FakeFeishuCore, RequestLogHasHttpAndFramesButNoSecrets) {
  harness h;
  const auto t = h.token();
  const auto conn = h.connect();
  h.fake.on_frame(conn, pbbp2::encode(ff::make_ping(1)));
  const auto log = json::serialize(h.control("GET", "/_fake/requests"));
  EXPECT_EQ(log.find(h.app.app_secret), std::string::npos);
  EXPECT_EQ(log.find(t), std::string::npos);
  EXPECT_NE(log.find("\"type\":\"ping\""), std::string::npos);
  EXPECT_NE(log.find("\"type\":\"pong\""), std::string::npos);
  EXPECT_NE(log.find("/callback/ws/endpoint"), std::string::npos);
}

}  // namespace
}  // namespace fakes_feishu_test
