// Open API: token, bot info, message requests (exact bodies), answers, the token cache, brands.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "feishu_lark/proto/brand.hpp"
#include "feishu_lark/proto/messages_api.hpp"
#include "feishu_lark/proto/open_api.hpp"
#include "feishu_lark/proto/token_cache.hpp"

namespace fam = patchbay::plugins::feishu_family;
namespace json = boost::json;

TEST(OpenApi, TenantTokenRequestAndAnswer) {
  const auto req = fam::tenant_token_request("cli_0123456789abcdef", "s3cret");
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/open-apis/auth/v3/tenant_access_token/internal");
  EXPECT_FALSE(req.with_token);
  EXPECT_EQ(json::parse(req.body),
            json::parse(R"({"app_id":"cli_0123456789abcdef","app_secret":"s3cret"})"));

  auto r = fam::parse_tenant_token_response(
      200, R"({"code":0,"msg":"ok","tenant_access_token":"t-abc","expire":7200})");
  ASSERT_TRUE(r.error.ok()) << r.error.message;
  EXPECT_EQ(r.token, "t-abc");
  EXPECT_EQ(r.expire_s, 7200);

  r = fam::parse_tenant_token_response(400, R"({"code":10014,"msg":"app secret invalid"})");
  EXPECT_EQ(r.error.code, PB_ERR_AUTH);
  EXPECT_EQ(r.error.kind, fam::error_kind::bad_credentials);
  EXPECT_EQ(r.error.platform_code, 10014);
  EXPECT_EQ(r.error.message.find("s3cret"), std::string::npos);
  r = fam::parse_tenant_token_response(200, R"({"code":10003,"msg":"invalid param"})");
  EXPECT_EQ(r.error.kind, fam::error_kind::bad_credentials);
  // code 0 but no token: the SDKs throw; we call it retryable.
  r = fam::parse_tenant_token_response(200, R"({"code":0,"msg":"ok"})");
  EXPECT_EQ(r.error.code, PB_ERR_RETRYABLE);
  r = fam::parse_tenant_token_response(502, "<html>bad gateway</html>");
  EXPECT_EQ(r.error.code, PB_ERR_RETRYABLE);
}

TEST(OpenApi, BotInfo) {
  const auto req = fam::bot_info_request();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/open-apis/bot/v3/info");
  EXPECT_TRUE(req.with_token);
  auto r = fam::parse_bot_info_response(
      200, R"({"code":0,"msg":"ok","bot":{"activate_status":2,"app_name":"Echo","avatar_url":"",)"
           R"("ip_white_list":[],"open_id":"ou_bot"}})");
  ASSERT_TRUE(r.error.ok()) << r.error.message;
  EXPECT_EQ(r.bot.open_id, "ou_bot");
  EXPECT_EQ(r.bot.app_name, "Echo");
  EXPECT_EQ(r.bot.activate_status, 2);
  EXPECT_FALSE(fam::bot_inactive_reason(2));
  EXPECT_TRUE(fam::bot_inactive_reason(1));
  EXPECT_NE(fam::bot_inactive_reason(1)->find("disabled"), std::string::npos);
  // `data` instead of `bot` is not the documented shape: no open_id → error.
  r = fam::parse_bot_info_response(200, R"({"code":0,"data":{"open_id":"ou_bot"}})");
  EXPECT_FALSE(r.error.ok());
  r = fam::parse_bot_info_response(400, R"({"code":99991663,"msg":"Invalid access token"})");
  EXPECT_EQ(r.error.kind, fam::error_kind::token_invalid);
}

TEST(Messages, ContentIsAJsonStringInsideTheBody) {
  const auto t = fam::text_message("line1\nline2 \"q\"");
  EXPECT_EQ(t.msg_type, "text");
  EXPECT_EQ(t.content, R"({"text":"line1\nline2 \"q\""})");
  const auto req = fam::send_message_request("oc_chat", fam::receive_id_type::chat_id, t, "u-1");
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/open-apis/im/v1/messages?receive_id_type=chat_id");
  const json::value body = json::parse(req.body);
  EXPECT_EQ(body.at("receive_id"), "oc_chat");
  EXPECT_EQ(body.at("msg_type"), "text");
  EXPECT_EQ(body.at("uuid"), "u-1");
  EXPECT_TRUE(req.idempotent);  // the uuid makes a resend on a fresh connection safe
  ASSERT_TRUE(body.at("content").is_string());
  EXPECT_EQ(json::parse(body.at("content").as_string()).at("text"), "line1\nline2 \"q\"");
  // No uuid → no key, and not safe to send twice.
  const auto plain = fam::send_message_request("ou_x", fam::receive_id_type::open_id, t);
  EXPECT_FALSE(json::parse(plain.body).as_object().contains("uuid"));
  EXPECT_FALSE(plain.idempotent);
}

TEST(Messages, ReplyEditPatch) {
  const auto post = fam::post_message("**bold**", "T");
  EXPECT_EQ(post.msg_type, "post");
  EXPECT_EQ(json::parse(post.content),
            json::parse(R"({"zh_cn":{"title":"T","content":[[{"tag":"md","text":"**bold**"}]]}})"));
  const auto reply = fam::reply_message_request("om_1", fam::text_message("hi"), true, "k");
  EXPECT_EQ(reply.method, "POST");
  EXPECT_EQ(reply.target, "/open-apis/im/v1/messages/om_1/reply");
  EXPECT_TRUE(reply.idempotent);
  EXPECT_FALSE(fam::reply_message_request("om_1", fam::text_message("hi")).idempotent);
  EXPECT_EQ(json::parse(reply.body),
            json::parse(R"({"content":"{\"text\":\"hi\"}","msg_type":"text",)"
                        R"("reply_in_thread":true,"uuid":"k"})"));
  const auto edit = fam::edit_message_request("om_1", fam::text_message("v2"));
  ASSERT_TRUE(edit);
  EXPECT_EQ(edit->method, "PUT");  // never PATCH for text (openclaw PR #117414)
  EXPECT_EQ(edit->target, "/open-apis/im/v1/messages/om_1");
  EXPECT_EQ(json::parse(edit->body),
            json::parse(R"({"msg_type":"text","content":"{\"text\":\"v2\"}"})"));
  EXPECT_TRUE(fam::edit_message_request("om_1", post));
  EXPECT_FALSE(fam::edit_message_request("om_1", fam::card_message("x")));
  const auto card = fam::card_message("# hi");
  EXPECT_EQ(card.msg_type, "interactive");
  const json::value cj = json::parse(card.content);
  EXPECT_EQ(cj.at("schema"), "2.0");
  EXPECT_EQ(cj.at("config").at("update_multi"), true);
  const auto patch = fam::patch_card_request("om_1", card.content);
  EXPECT_EQ(patch.method, "PATCH");
  EXPECT_EQ(json::parse(patch.body).at("content").as_string(), card.content);
  // Hostile ids cannot change the path.
  EXPECT_EQ(fam::reply_message_request("a/../b?x=1", fam::text_message("")).target,
            "/open-apis/im/v1/messages/a%2F..%2Fb%3Fx%3D1/reply");
}

TEST(Messages, ReceiveIdTypeUuidAndSizeLimits) {
  EXPECT_EQ(fam::detect_receive_id_type("oc_1"), fam::receive_id_type::chat_id);
  EXPECT_EQ(fam::detect_receive_id_type("ou_1"), fam::receive_id_type::open_id);
  EXPECT_EQ(fam::detect_receive_id_type("on_1"), fam::receive_id_type::union_id);
  EXPECT_EQ(fam::detect_receive_id_type("a@b.c"), fam::receive_id_type::email);
  EXPECT_EQ(fam::detect_receive_id_type("12345"), fam::receive_id_type::user_id);
  EXPECT_STREQ(fam::to_string(fam::receive_id_type::union_id), "union_id");

  const std::string u = fam::derive_uuid("turn-7/part-2");
  EXPECT_EQ(u.size(), 32u);
  EXPECT_EQ(u, fam::derive_uuid("turn-7/part-2"));  // a retry carries the same key
  EXPECT_NE(u, fam::derive_uuid("turn-7/part-3"));

  const auto small = fam::send_message_request("oc", fam::receive_id_type::chat_id,
                                               fam::text_message(std::string(1000, 'a')));
  EXPECT_TRUE(fam::check_body_size(fam::api_op::send, small, "text").ok());
  const auto big = fam::send_message_request("oc", fam::receive_id_type::chat_id,
                                             fam::post_message(std::string(40'000, 'a')));
  const auto e = fam::check_body_size(fam::api_op::send, big, "post");
  EXPECT_EQ(e.code, PB_ERR_INVALID_INPUT);
  EXPECT_EQ(e.kind, fam::error_kind::message_too_long);
  EXPECT_TRUE(fam::check_body_size(fam::api_op::send, big, "text").ok());
}

TEST(Messages, AnswersAreParsed) {
  auto r = fam::parse_message_response(
      fam::api_op::send, 200,
      R"({"code":0,"msg":"success","data":{"message_id":"om_new","chat_id":"oc_c","msg_type":"text",)"
      R"("sender":{"id":"cli_x","id_type":"app_id","sender_type":"app"},"unknown_field":1}})");
  ASSERT_TRUE(r.error.ok()) << r.error.message;
  EXPECT_EQ(r.message_id, "om_new");
  EXPECT_EQ(r.chat_id, "oc_c");
  r = fam::parse_message_response(fam::api_op::patch_card, 200,
                                  R"({"code":0,"msg":"ok","data":{}})");
  EXPECT_TRUE(r.error.ok());
  r = fam::parse_message_response(fam::api_op::send, 200, R"({"code":0,"msg":"ok","data":{}})");
  EXPECT_EQ(r.error.code, PB_ERR_RETRYABLE);  // success without an id: retry (the uuid dedups)
  r = fam::parse_message_response(fam::api_op::edit, 400,
                                  R"({"code":230072,"msg":"edit limit","error":{"log_id":"L1"}})");
  EXPECT_EQ(r.error.code, PB_ERR_UNSUPPORTED);
  EXPECT_EQ(r.error.kind, fam::error_kind::edit_limit);
  EXPECT_NE(r.error.message.find("L1"), std::string::npos);
  r = fam::parse_message_response(
      fam::api_op::send, 429, R"({"code":99991400,"msg":"request trigger frequency limit"})", "2");
  EXPECT_EQ(r.error.code, PB_ERR_RATE_LIMITED);
  EXPECT_EQ(r.error.retry_after_ms, 2000);
  r = fam::parse_message_response(fam::api_op::send, 429, "Too Many Requests", "3");
  EXPECT_EQ(r.error.code, PB_ERR_RATE_LIMITED);
  EXPECT_EQ(r.error.retry_after_ms, 3000);
}

TEST(TokenCache, RefreshRules) {
  fam::tenant_token_cache c;
  EXPECT_TRUE(c.needs_refresh(0));
  EXPECT_FALSE(c.usable(0));
  const int64_t t0 = 1'000'000;
  c.store("t-1", 7200, t0);
  EXPECT_TRUE(c.usable(t0));
  EXPECT_EQ(c.token(), "t-1");
  EXPECT_FALSE(c.needs_refresh(t0 + 89 * 60'000));  // 31 min left
  EXPECT_TRUE(c.needs_refresh(t0 + 91 * 60'000));   // 29 min left
  // A failed refresh keeps the old token usable and waits a minute before asking again.
  c.fetch_failed(t0 + 91 * 60'000);
  EXPECT_FALSE(c.needs_refresh(t0 + 91 * 60'000 + 59'000));
  EXPECT_TRUE(c.needs_refresh(t0 + 92 * 60'000));
  EXPECT_TRUE(c.usable(t0 + 116 * 60'000));   // 4 min left
  EXPECT_FALSE(c.usable(t0 + 118 * 60'000));  // inside the 3 min margin
  // The platform returns the same short-lived token: no fetch on every call.
  c.store("t-1", 1500, t0);
  EXPECT_TRUE(c.needs_refresh(t0 + 60'000));
  EXPECT_FALSE(c.needs_refresh(t0 + 30'000));
  // Invalid-token code: dropped, fetched at once.
  c.store("t-2", 7200, t0);
  c.invalidate();
  EXPECT_FALSE(c.usable(t0));
  EXPECT_TRUE(c.needs_refresh(t0));
  EXPECT_TRUE(c.token().empty());
  EXPECT_TRUE(fam::is_invalid_token_code(99991663));
  EXPECT_TRUE(fam::is_invalid_token_code(99991661));
  EXPECT_FALSE(fam::is_invalid_token_code(99991400));
}

TEST(Brand, DomainsAndAppIds) {
  EXPECT_EQ(fam::resolve_domain("feishu"), "https://open.feishu.cn");
  EXPECT_EQ(fam::resolve_domain("lark"), "https://open.larksuite.com");
  EXPECT_EQ(fam::resolve_domain("https://127.0.0.1:8443//"), "https://127.0.0.1:8443");
  EXPECT_TRUE(fam::valid_app_id("cli_0123456789abcDEF"));
  EXPECT_FALSE(fam::valid_app_id("cli_0123456789abcdeg"));
  EXPECT_FALSE(fam::valid_app_id("cli_0123456789abcde"));
  EXPECT_FALSE(fam::valid_app_id("xli_0123456789abcdef"));
  // No per-message edit cap: a streaming card has none; render: text narrows each message to 20.
  EXPECT_EQ(fam::capabilities().max_edits_per_message, 0u);
  EXPECT_EQ(fam::text_max_edits, 20u);
}
