// Proactive sends through NyxID's proxy: target shapes and fallback, the Lark request, and the
// classification of Lark codes and NyxID envelopes.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "nyxid/channel/proxy_send.hpp"
#include "patchbay/pb_types.h"

namespace nx = patchbay::plugins::nyxid;
namespace json = boost::json;

TEST(NyxidProxyTarget, TypeFromShape) {
  auto chat = nx::parse_proxy_target("oc_abc");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->type, "chat_id");
  EXPECT_TRUE(chat->fallback_id.empty());
  EXPECT_EQ(nx::parse_proxy_target("ou_abc")->type, "open_id");
  EXPECT_EQ(nx::parse_proxy_target("on_abc")->type, "union_id");
  EXPECT_EQ(nx::parse_proxy_target("a@b.c")->type, "email");
  EXPECT_EQ(nx::parse_proxy_target("u123")->type, "user_id");
}

TEST(NyxidProxyTarget, FallbackAfterBar) {
  auto t = nx::parse_proxy_target("oc_chat|on_union");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, "oc_chat");
  EXPECT_EQ(t->fallback_id, "on_union");
  EXPECT_EQ(t->fallback_type, "union_id");
  // A fallback whose shape says nothing takes the configured type.
  auto u = nx::parse_proxy_target("oc_chat|12345", "user_id");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->fallback_type, "user_id");
  EXPECT_EQ(nx::parse_proxy_target("oc_chat|6789")->fallback_type, "union_id");
  for (const char* bad : {"", "|on_x", "oc_x|", "oc x", "oc_x|on_y|on_z", "oc_\n"})
    EXPECT_FALSE(nx::parse_proxy_target(bad)) << bad;
}

TEST(NyxidProxyRequest, LarkBodyWithStringContentAndStableUuid) {
  auto r = nx::build_proxy_send("api-lark-bot", "oc_1", "chat_id", "hi \"there\"", "send-7-p1");
  EXPECT_EQ(r.path,
            "/api/v1/proxy/s/api-lark-bot/open-apis/im/v1/messages?receive_id_type=chat_id");
  auto v = json::parse(r.body).as_object();
  EXPECT_EQ(v["receive_id"].as_string(), "oc_1");
  EXPECT_EQ(v["msg_type"].as_string(), "text");
  ASSERT_TRUE(v["content"].is_string());  // a JSON string holding JSON
  EXPECT_EQ(json::parse(v["content"].as_string()).as_object()["text"].as_string(), "hi \"there\"");
  const std::string uuid(v["uuid"].as_string());
  EXPECT_EQ(
      uuid,
      json::parse(nx::build_proxy_send("api-lark-bot", "oc_1", "chat_id", "x", "send-7-p1").body)
          .as_object()["uuid"]
          .as_string());
  EXPECT_NE(uuid, json::parse(nx::build_proxy_send("s", "oc_1", "chat_id", "x", "send-7-p2").body)
                      .as_object()["uuid"]
                      .as_string());
  auto u = nx::build_proxy_send("s", "on_1", "union_id", "x", "");
  EXPECT_NE(u.path.find("receive_id_type=union_id"), std::string::npos);
  EXPECT_FALSE(json::parse(u.body).as_object().contains("uuid"));
}

TEST(NyxidProxyAnswer, SuccessGivesTheLarkMessageId) {
  auto r = nx::classify_proxy_answer(200, R"({"code":0,"msg":"ok","data":{"message_id":"om_1"}})");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.message_id, "om_1");
}

TEST(NyxidProxyAnswer, StructuralRejectionsCarryTheCode) {
  auto cross = nx::classify_proxy_answer(400, R"({"code":99992364,"msg":"user id cross tenant"})");
  EXPECT_EQ(cross.code, PB_ERR_REJECTED);
  EXPECT_EQ(cross.lark_code, 99992364);
  EXPECT_NE(cross.message.find("99992364"), std::string::npos);
  auto app = nx::classify_proxy_answer(200, R"({"code":99992361,"msg":"open_id cross app"})");
  EXPECT_EQ(app.code, PB_ERR_REJECTED);
  EXPECT_NE(app.message.find("99992361"), std::string::npos);
  auto scope = nx::classify_proxy_answer(
      403,
      R"({"error":"api_key_scope_forbidden","error_code":9000,"message":"API key scope forbidden"})");
  EXPECT_EQ(scope.code, PB_ERR_REJECTED);
  EXPECT_EQ(scope.nyxid_error, "api_key_scope_forbidden");
  EXPECT_NE(scope.message.find("api_key_scope_forbidden"), std::string::npos);
  EXPECT_NE(scope.message.find("9000"), std::string::npos);
}

TEST(NyxidProxyAnswer, BotNotInChatIsFlagged) {
  auto r = nx::classify_proxy_answer(200, R"({"code":230002,"msg":"Bot is not in the chat"})");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.bot_not_in_chat());
  EXPECT_EQ(r.code, PB_ERR_REJECTED);
}

TEST(NyxidProxyAnswer, NyxidEnvelopesByStatus) {
  EXPECT_EQ(nx::classify_proxy_answer(401, R"({"error":"unauthorized","error_code":1001})").code,
            PB_ERR_AUTH);
  EXPECT_EQ(nx::classify_proxy_answer(429, R"({"error":"rate_limited"})").code,
            PB_ERR_RATE_LIMITED);
  EXPECT_EQ(nx::classify_proxy_answer(503, "upstream down").code, PB_ERR_RETRYABLE);
  EXPECT_EQ(nx::classify_proxy_answer(404, R"({"error":"not_found"})").code, PB_ERR_NOT_FOUND);
  // A key echoed by a server never reaches the message.
  auto r = nx::classify_proxy_answer(
      403, R"({"error":"forbidden","message":"Bearer nyxid_px_0123456789abcdef rejected"})");
  EXPECT_EQ(r.message.find("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(nx::proxy_transport_failure("total timeout").code, PB_ERR_RETRYABLE);
}
