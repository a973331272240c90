// fake_feishu's Open API messages without sockets: send/reply/edit/patch rules, the edit cap, uuid
// idempotency, rate_limit / invalid_token / disable_app, and the webhook sender checked with the
// plugin family's own verify_webhook.
#include "feishu_lark/proto/webhook.hpp"
#include "harness.hpp"

namespace fakes_feishu_test {
namespace {

struct api : harness {
  std::string tok = token();
  feishu::outcome send(const std::string& target, json::object body,
                       const std::string& method = "POST") {
    return call(method, target, json::serialize(body), auth(tok));
  }
  static json::object text(const std::string& t) {
    return {{"msg_type", "text"}, {"content", json::serialize(json::object{{"text", t}})}};
  }
};

std::int64_t code_of(const feishu::outcome& o) {
  return obj(o.response.body).at("code").as_int64();
}

TEST(FakeFeishuMessages, SendReplyEditWithTheEditCap) {
  api a;
  auto body = api::text("hello");
  body["receive_id"] = "oc_chat1";
  const auto sent = a.send("/open-apis/im/v1/messages?receive_id_type=chat_id", body);
  ASSERT_EQ(code_of(sent), 0) << sent.response.body;
  const std::string id(obj(sent.response.body).at("data").at("message_id").as_string());
  EXPECT_EQ(id.rfind("om_", 0), 0u);
  const auto reply = a.send("/open-apis/im/v1/messages/" + id + "/reply", api::text("re"));
  ASSERT_EQ(code_of(reply), 0);
  EXPECT_EQ(obj(reply.response.body).at("data").at("parent_id").as_string(), id);
  EXPECT_EQ(obj(reply.response.body).at("data").at("chat_id").as_string(), "oc_chat1");
  for (int i = 1; i <= 20; ++i) {
    const auto e =
        a.send("/open-apis/im/v1/messages/" + id, api::text("v" + std::to_string(i)), "PUT");
    ASSERT_EQ(code_of(e), 0) << i << e.response.body;
  }
  const auto over = a.send("/open-apis/im/v1/messages/" + id, api::text("v21"), "PUT");
  EXPECT_EQ(over.response.status, 400u);
  EXPECT_EQ(code_of(over), 230072);
  const auto msgs = a.control("GET", "/_fake/messages?chat_id=oc_chat1").at("messages").as_array();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].at("edits").as_int64(), 20);
  EXPECT_EQ(msgs[0].at("text").as_string(), "v20");
  EXPECT_EQ(msgs[0].at("history").as_array().size(), 20u);
  EXPECT_EQ(msgs[1].at("reply_to").as_string(), id);
}

TEST(FakeFeishuMessages, BodyRules) {
  api a;
  auto b = api::text("x");
  b["receive_id"] = "oc_1";
  b["content"] = json::object{{"text", "not a string"}};
  EXPECT_EQ(code_of(a.send("/open-apis/im/v1/messages?receive_id_type=chat_id", b)), 230001);
  b = api::text(std::string(160 * 1024, 'a'));
  b["receive_id"] = "oc_1";
  EXPECT_EQ(code_of(a.send("/open-apis/im/v1/messages?receive_id_type=chat_id", b)), 230025);
  b = api::text("x");
  b["receive_id"] = "oc_1";
  EXPECT_EQ(code_of(a.send("/open-apis/im/v1/messages", b)), 99992402);
  EXPECT_EQ(code_of(a.send("/open-apis/im/v1/messages/om_nope/reply", api::text("x"))), 99992354);
  EXPECT_EQ(code_of(a.send("/open-apis/im/v1/messages/om_nope", api::text("x"), "PUT")), 99992354);
  // Patch: only cards, and only card JSON.
  b = {{"receive_id", "oc_1"},
       {"msg_type", "interactive"},
       {"content", json::serialize(json::object{{"elements", json::array{}}})}};
  const auto card = a.send("/open-apis/im/v1/messages?receive_id_type=chat_id", b);
  const std::string cid(obj(card.response.body).at("data").at("message_id").as_string());
  EXPECT_EQ(code_of(a.send("/open-apis/im/v1/messages/" + cid, {{"content", "not json"}}, "PATCH")),
            200621);
  const auto ok =
      a.send("/open-apis/im/v1/messages/" + cid, {{"content", "{\"elements\":[]}"}}, "PATCH");
  EXPECT_EQ(code_of(ok), 0);
  EXPECT_TRUE(obj(ok.response.body).at("data").as_object().empty());
  EXPECT_EQ(code_of(a.send("/open-apis/im/v1/messages/" + cid, api::text("x"), "PUT")), 230001);
  // An injected (user) message can be replied to but not edited.
  const auto inj = a.control("POST", "/_fake/inject", {{"text", "hi"}});
  const std::string mid(inj.at("message_id").as_string());
  EXPECT_EQ(code_of(a.send("/open-apis/im/v1/messages/" + mid + "/reply", api::text("x"))), 0);
  EXPECT_EQ(code_of(a.send("/open-apis/im/v1/messages/" + mid, api::text("x"), "PUT")), 230071);
}

TEST(FakeFeishuMessages, UuidIsIdempotentForAnHour) {
  api a;
  auto b = api::text("once");
  b["receive_id"] = "ou_user";
  b["uuid"] = "abc";
  const auto first = a.send("/open-apis/im/v1/messages?receive_id_type=open_id", b);
  const auto second = a.send("/open-apis/im/v1/messages?receive_id_type=open_id", b);
  const auto id = obj(first.response.body).at("data").at("message_id");
  EXPECT_EQ(obj(second.response.body).at("data").at("message_id"), id);
  EXPECT_EQ(a.control("GET", "/_fake/messages").at("messages").as_array().size(), 1u);
  a.clock += 3'600'001;
  const auto later = a.send("/open-apis/im/v1/messages?receive_id_type=open_id", b);
  EXPECT_NE(obj(later.response.body).at("data").at("message_id"), id);
}

TEST(FakeFeishuMessages, RateLimitInvalidTokenAndDisabledApp) {
  api a;
  auto b = api::text("x");
  b["receive_id"] = "oc_1";
  const std::string path = "/open-apis/im/v1/messages?receive_id_type=chat_id";
  a.control("POST", "/_fake/fault", {{"kind", "rate_limit"}, {"reset_s", 7}});
  const auto limited = a.send(path, b);
  EXPECT_EQ(limited.response.status, 429u);
  EXPECT_EQ(code_of(limited), 99991400);
  EXPECT_EQ(kit::find_header(limited.response.headers, "x-ogw-ratelimit-reset"), "7");
  a.control("POST", "/_fake/fault", {{"kind", "invalid_token"}});
  EXPECT_EQ(code_of(a.send(path, b)), 99991663);
  EXPECT_EQ(code_of(a.send(path, b)), 0);
  a.control("POST", "/_fake/fault", {{"kind", "disable_app"}});
  EXPECT_EQ(code_of(a.send(path, b)), 99991662);
  auto info = a.call("GET", "/open-apis/bot/v3/info", {}, a.auth(a.tok));
  EXPECT_EQ(obj(info.response.body).at("bot").at("activate_status").as_int64(), 1);
  a.control("POST", "/_fake/fault", {{"kind", "enable_app"}});
  EXPECT_EQ(code_of(a.send(path, b)), 0);
}

TEST(FakeFeishuMessages, WebhookDeliveriesVerifyOrFailAsTampered) {
  harness h;
  ff::webhook_config cfg;
  cfg.encrypt_key = h.app.encrypt_key;
  cfg.verification_token = h.app.verification_token;
  const auto deliver = [&](json::object body) {
    body["url"] = "http://127.0.0.1:9/hooks/x";
    auto o = h.call("POST", "/_fake/webhook", json::serialize(body));
    EXPECT_EQ(o.what, feishu::outcome::kind::webhook) << o.response.body;
    const auto& r = o.webhook->request;
    const ff::webhook_headers hd{kit::find_header(r.headers, "X-Lark-Request-Timestamp"),
                                 kit::find_header(r.headers, "X-Lark-Request-Nonce"),
                                 kit::find_header(r.headers, "X-Lark-Signature")};
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    return ff::verify_webhook(cfg, hd, r.body, now_s);
  };
  const auto ok = deliver({{"kind", "event"}, {"text", "via webhook"}});
  ASSERT_TRUE(std::holds_alternative<ff::webhook_event>(ok));
  EXPECT_EQ(std::get<ff::webhook_event>(ok).env.event_type, "im.message.receive_v1");
  const auto ch = deliver({{"kind", "challenge"}});
  EXPECT_TRUE(std::holds_alternative<ff::webhook_challenge>(ch));
  for (const char* t : {"signature", "body", "timestamp_stale", "token", "unsigned"}) {
    const auto v = deliver({{"kind", "event"}, {"text", "x"}, {"tamper", t}});
    EXPECT_TRUE(std::holds_alternative<ff::webhook_reject>(v)) << t;
  }
}

}  // namespace
}  // namespace fakes_feishu_test
