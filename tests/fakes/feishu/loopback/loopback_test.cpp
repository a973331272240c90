// patchbay-fake-feishu as a real process on loopback (TLS with its own CA), driven by the kit
// HTTP and WebSocket clients: discovery → wss → ping/pong → a fragmented event reassembled and
// acked; an unacked event re-pushed under the same event_id; refused discovery and handshake;
// send/reply/edit with the 21st edit refused and uuid idempotency; a signed, encrypted webhook
// POST verified by a kit http_server with feishu_family::verify_webhook.
#include <atomic>

#include "fake_feishu_process.hpp"
#include "feishu_lark/proto/endpoint.hpp"
#include "feishu_lark/proto/events.hpp"
#include "feishu_lark/proto/fragments.hpp"
#include "feishu_lark/proto/webhook.hpp"
#include "feishu_lark/proto/ws_frames.hpp"

namespace fakes_feishu_loopback {
namespace {

namespace ff = patchbay::plugins::feishu_family;

struct client {
  kit::io_runtime rt{2};
  json::object call(kit::http_client_request r, unsigned status = 200) {
    const auto res = kit_test::fetch(rt, std::move(r), 20s);
    EXPECT_TRUE(res.completed);
    EXPECT_EQ(res.error, "");
    EXPECT_EQ(res.response.status, status) << res.response.body;
    return parse_object(res.response.body);
  }
};

json::object control(client& c, const fake_process& f, const std::string& method,
                     const std::string& target, json::object body = {}) {
  return c.call(f.request(method, target, method == "POST" ? json::serialize(body) : ""));
}

std::string discover(client& c, const fake_process& f) {
  const auto d =
      c.call(f.request("POST", "/callback/ws/endpoint",
                       json::serialize(json::object{{"AppID", f.app_str("app_id")},
                                                    {"AppSecret", f.app_str("app_secret")}})));
  EXPECT_EQ(d.at("code").as_int64(), 0);
  return std::string(d.at("data").at("URL").as_string());
}

// Waits for the next event frame set (skipping pongs) and reassembles it.
std::optional<pbbp2::frame> next_event(ws_peer& p, ff::fragment_reassembler& r) {
  for (int i = 0; i < 64; ++i) {
    auto f = p.next();
    if (!f) return std::nullopt;
    if (pbbp2::kind_of(*f) != pbbp2::frame_kind::event) continue;
    auto res = r.add(std::move(*f), 0);
    if (res.status == ff::fragment_status::complete) return std::move(res.frame);
  }
  return std::nullopt;
}

TEST(FakeFeishuLoopback, WssEventsAcksAndRepush) {
  fake_process fake;
  ASSERT_FALSE(fake.base_url.empty());
  ASSERT_EQ(fake.base_url.rfind("https://", 0), 0u);
  ASSERT_FALSE(fake.ca_file.empty());
  client c;
  const std::string url = discover(c, fake);
  ASSERT_EQ(url.rfind("wss://", 0), 0u) << url;

  ws_peer peer;
  peer.connect(c.rt, url, fake.ca_file);
  ASSERT_TRUE(peer.wait_open()) << peer.close_info.error;
  peer.conn->send_binary(pbbp2::encode(ff::make_ping(1)));
  const auto pong = peer.next();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pbbp2::kind_of(*pong), pbbp2::frame_kind::pong);

  // A fragmented event, reassembled and acked.
  const auto inj = control(c, fake, "POST", "/_fake/inject",
                           {{"text", "hello from feishu"},
                            {"chat_type", "group"},
                            {"mention_bot", true},
                            {"fragments", 4}});
  ff::fragment_reassembler r;
  auto ev = next_event(peer, r);
  ASSERT_TRUE(ev);
  const auto env = ff::parse_envelope(*ev->payload);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->event_id, inj.at("event_id").as_string());
  peer.conn->send_binary(pbbp2::encode(ff::make_ack(*ev, 200, 5)));
  EXPECT_TRUE(kit_test::wait_until(
      [&] {
        const auto evs = control(c, fake, "GET", "/_fake/events").at("events").as_array();
        return evs.size() == 1 && evs[0].at("acked").as_bool();
      },
      10s));

  // An unacked event comes back under the same event_id (short schedule).
  control(c, fake, "POST", "/_fake/config",
          {{"ack_timeout_ms", 200}, {"repush_ms", json::array{300}}});
  const auto inj2 = control(c, fake, "POST", "/_fake/inject", {{"text", "ignored once"}});
  auto first = next_event(peer, r);
  ASSERT_TRUE(first);
  auto again = next_event(peer, r);
  ASSERT_TRUE(again);
  EXPECT_EQ(ff::parse_envelope(*again->payload)->event_id, inj2.at("event_id").as_string());
  EXPECT_EQ(*again->payload, *first->payload);
  peer.conn->send_binary(pbbp2::encode(ff::make_ack(*again, 200, 1)));
  EXPECT_TRUE(kit_test::wait_until(
      [&] {
        const auto evs = control(c, fake, "GET", "/_fake/events").at("events").as_array();
        return evs.size() == 2 && evs[1].at("acked").as_bool() &&
               evs[1].at("delivery_count").as_int64() == 2;
      },
      10s));

  // The frame log saw the pings, pongs, pushes and acks.
  const auto log = json::serialize(control(c, fake, "GET", "/_fake/requests"));
  EXPECT_NE(log.find("\"dir\":\"in\",\"method\":0,\"type\":\"ping\""), std::string::npos);
  EXPECT_EQ(log.find(fake.app_str("app_secret")), std::string::npos);

  // drop: the connection ends without a close frame; the fake records it.
  control(c, fake, "POST", "/_fake/fault", {{"kind", "drop"}});
  ASSERT_TRUE(peer.wait_closed());
  EXPECT_TRUE(kit_test::wait_until(
      [&] {
        const auto cs = control(c, fake, "GET", "/_fake/connections").at("connections").as_array();
        return cs.size() == 1 && cs[0].at("closed_ms").as_int64() > 0;
      },
      10s));
  EXPECT_EQ(fake.terminate(), 0);
}

TEST(FakeFeishuLoopback, StallHoldsPongsThenCloseSendsACloseFrame) {
  fake_process fake;
  client c;
  ws_peer peer;
  peer.connect(c.rt, discover(c, fake), fake.ca_file);
  ASSERT_TRUE(peer.wait_open()) << peer.close_info.error;
  control(c, fake, "POST", "/_fake/fault", {{"kind", "stall"}, {"duration_ms", 1500}});
  peer.conn->send_binary(pbbp2::encode(ff::make_ping(1)));
  EXPECT_FALSE(peer.next(1000ms));  // stalled: the ping goes unanswered
  std::optional<pbbp2::frame> pong;
  ASSERT_TRUE(kit_test::wait_until(  // after the stall, pings are answered again
      [&] {
        peer.conn->send_binary(pbbp2::encode(ff::make_ping(1)));
        pong = peer.next(200ms);
        return pong.has_value();
      },
      15s));
  EXPECT_EQ(pbbp2::kind_of(*pong), pbbp2::frame_kind::pong);
  control(c, fake, "POST", "/_fake/fault", {{"kind", "close"}, {"code", 4001}});
  ASSERT_TRUE(peer.wait_closed());
  EXPECT_EQ(peer.close_info.cause, kit::ws_close_cause::peer_closed);
  EXPECT_EQ(peer.close_info.code, 4001);
}

TEST(FakeFeishuLoopback, RefusedDiscoveryAndHandshake) {
  fake_process fake;
  client c;
  control(c, fake, "POST", "/_fake/fault", {{"kind", "refuse_discovery"}, {"code", 1000040350}});
  const auto d = c.call(
      fake.request("POST", "/callback/ws/endpoint",
                   json::serialize(json::object{{"AppID", fake.app_str("app_id")},
                                                {"AppSecret", fake.app_str("app_secret")}})));
  EXPECT_EQ(d.at("code").as_int64(), 1000040350);
  EXPECT_TRUE(d.at("data").is_object());

  control(c, fake, "POST", "/_fake/fault",
          {{"kind", "refuse_handshake"}, {"handshake_status", 514}, {"autherrcode", 1000040350}});
  ws_peer peer;
  peer.connect(c.rt, discover(c, fake), fake.ca_file);
  ASSERT_TRUE(peer.wait_closed());
  EXPECT_EQ(peer.close_info.cause, kit::ws_close_cause::handshake_rejected);
  EXPECT_EQ(kit::find_header(peer.close_info.response_headers, "Handshake-Status"), "514");
  EXPECT_EQ(kit::find_header(peer.close_info.response_headers, "Handshake-Autherrcode"),
            "1000040350");
  const auto v = ff::classify_handshake_failure(
      static_cast<int>(peer.close_info.http_status),
      kit::find_header(peer.close_info.response_headers, "Handshake-Status"),
      kit::find_header(peer.close_info.response_headers, "Handshake-Msg"),
      kit::find_header(peer.close_info.response_headers, "Handshake-Autherrcode"));
  EXPECT_TRUE(v.fatal);
}

TEST(FakeFeishuLoopback, SendReplyEditCapAndUuid) {
  fake_process fake;
  client c;
  const auto tok = c.call(
      fake.request("POST", "/open-apis/auth/v3/tenant_access_token/internal",
                   json::serialize(json::object{{"app_id", fake.app_str("app_id")},
                                                {"app_secret", fake.app_str("app_secret")}})));
  const kit::http_headers auth{
      {"Authorization", "Bearer " + std::string(tok.at("tenant_access_token").as_string())}};
  const auto text = [](const std::string& t) {
    return json::object{{"msg_type", "text"},
                        {"content", json::serialize(json::object{{"text", t}})}};
  };
  const auto inj = control(c, fake, "POST", "/_fake/inject", {{"text", "question"}});
  const std::string parent(inj.at("message_id").as_string());
  auto body = text("answer");
  body["uuid"] = "reply-1";
  const auto reply = c.call(fake.request("POST", "/open-apis/im/v1/messages/" + parent + "/reply",
                                         json::serialize(body), auth));
  ASSERT_EQ(reply.at("code").as_int64(), 0);
  const std::string id(reply.at("data").at("message_id").as_string());
  const auto dup = c.call(fake.request("POST", "/open-apis/im/v1/messages/" + parent + "/reply",
                                       json::serialize(body), auth));
  EXPECT_EQ(dup.at("data").at("message_id").as_string(), id);
  for (int i = 1; i <= 20; ++i) {
    const auto e =
        c.call(fake.request("PUT", "/open-apis/im/v1/messages/" + id,
                            json::serialize(text("answer v" + std::to_string(i))), auth));
    ASSERT_EQ(e.at("code").as_int64(), 0) << i;
  }
  const auto over = c.call(fake.request("PUT", "/open-apis/im/v1/messages/" + id,
                                        json::serialize(text("one too many")), auth),
                           400);
  EXPECT_EQ(over.at("code").as_int64(), 230072);
  auto send = text("hi");
  send["receive_id"] = std::string(inj.at("chat_id").as_string());
  const auto s = c.call(fake.request("POST", "/open-apis/im/v1/messages?receive_id_type=chat_id",
                                     json::serialize(send), auth));
  EXPECT_EQ(s.at("data").at("chat_id").as_string(), inj.at("chat_id").as_string());
  const auto msgs = control(c, fake, "GET", "/_fake/messages").at("messages").as_array();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].at("reply_to").as_string(), parent);
  EXPECT_EQ(msgs[0].at("edits").as_int64(), 20);
  EXPECT_EQ(msgs[0].at("text").as_string(), "answer v20");
  // Unknown token: HTTP 400 + 99991663.
  const auto bad = c.call(
      fake.request("GET", "/open-apis/bot/v3/info", {}, {{"Authorization", "Bearer t-nope"}}), 400);
  EXPECT_EQ(bad.at("code").as_int64(), 99991663);
}

TEST(FakeFeishuLoopback, SignedEncryptedWebhook) {
  fake_process fake;
  client c;
  ff::webhook_config cfg;
  cfg.encrypt_key = fake.app_str("encrypt_key");
  cfg.verification_token = fake.app_str("verification_token");
  std::atomic<int> events{0};
  kit_test::test_server hooks([&](std::shared_ptr<kit::http_exchange> ex) {
    const auto& q = ex->request();
    const ff::webhook_headers h{q.header("X-Lark-Request-Timestamp"),
                                q.header("X-Lark-Request-Nonce"), q.header("X-Lark-Signature")};
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    const auto v = ff::verify_webhook(cfg, h, q.body, now_s);
    kit::http_response r;
    if (const auto* e = std::get_if<ff::webhook_event>(&v)) {
      ++events;
      r.body = "{\"msg\":\"success\",\"event_id\":\"" + e->env.event_id + "\"}";
    } else if (const auto* ch = std::get_if<ff::webhook_challenge>(&v)) {
      r.body = ch->response_body;
    } else {
      r.status = static_cast<unsigned>(std::get<ff::webhook_reject>(v).status);
      r.body = std::string("{\"msg\":\"") + ff::to_string(std::get<ff::webhook_reject>(v).reason) +
               "\"}";
    }
    ex->respond(std::move(r));
  });
  const std::string url = hooks.url("/hooks/abc");
  const auto ok = control(c, fake, "POST", "/_fake/webhook",
                          {{"url", url}, {"kind", "event"}, {"text", "via webhook"}});
  EXPECT_EQ(ok.at("status").as_int64(), 200);
  EXPECT_NE(std::string(ok.at("body").as_string()).find(std::string(ok.at("event_id").as_string())),
            std::string::npos);
  const auto ch = control(c, fake, "POST", "/_fake/webhook", {{"url", url}, {"kind", "challenge"}});
  EXPECT_EQ(ch.at("status").as_int64(), 200);
  EXPECT_NE(std::string(ch.at("body").as_string()).find("challenge"), std::string::npos);
  const auto forged =
      control(c, fake, "POST", "/_fake/webhook",
              {{"url", url}, {"kind", "event"}, {"text", "x"}, {"tamper", "signature"}});
  EXPECT_EQ(forged.at("status").as_int64(), 401);
  EXPECT_EQ(events.load(), 1);
}

}  // namespace
}  // namespace fakes_feishu_loopback
