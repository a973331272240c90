// Relay API bodies and answers, the error classification table (docs/protocols/nyxid-relay.md
// §2.2–2.3, §2.8), secret redaction, and per-platform capabilities.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "nyxid/proto/platform_caps.hpp"
#include "nyxid/proto/relay_api.hpp"
#include "nyxid/proto/relay_errors.hpp"

namespace {

namespace nyx = patchbay::plugins::nyxid;
namespace json = boost::json;
using nyx::relay_credential;
using nyx::relay_error_kind;
using nyx::relay_op;
using nyx::relay_transport;

std::string env(const char* error, int code, const char* message) {
  return std::string(R"({"error":")") + error + R"(","error_code":)" + std::to_string(code) +
         R"(,"message":")" + message + R"("})";
}

TEST(relay_api, request_bodies) {
  auto b = nyx::reply_request_body("m-1", "he said \"hi\"\n");
  ASSERT_TRUE(b);
  const json::value v = json::parse(*b);
  EXPECT_EQ(v.at("message_id").as_string(), "m-1");
  EXPECT_EQ(v.at("reply").at("text").as_string(), "he said \"hi\"\n");
  EXPECT_TRUE(v.at("reply").at("metadata").is_null());
  auto u = nyx::update_request_body("om_1", "more", R"({"card":{"schema":"2.0"}})");
  ASSERT_TRUE(u);
  const json::value w = json::parse(*u);
  EXPECT_EQ(w.at("message_id").as_string(), "om_1");
  EXPECT_EQ(w.at("reply").at("metadata").at("card").at("schema").as_string(), "2.0");
  EXPECT_FALSE(nyx::reply_request_body("m", "t", "[1]"));
  EXPECT_FALSE(nyx::reply_request_body("m", "t", "{"));
}

TEST(relay_api, responses_and_envelope) {
  auto r = nyx::parse_reply_response(R"({"message_id":"out-1","platform_message_id":"om_9"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "out-1");
  EXPECT_EQ(r->platform_message_id, "om_9");
  r = nyx::parse_reply_response(R"({"message_id":"out-1"})");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->platform_message_id.empty());
  EXPECT_FALSE(nyx::parse_reply_response(R"({"platform_message_id":"om"})"));
  EXPECT_FALSE(nyx::parse_reply_response("oops"));
  auto u = nyx::parse_update_response(
      R"({"upstream_message_id":"om_9","edited_at":"2026-06-01T00:00:00Z"})");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->upstream_message_id, "om_9");
  EXPECT_EQ(u->edited_at, "2026-06-01T00:00:00Z");
  EXPECT_FALSE(nyx::parse_update_response("{}"));
  auto e = nyx::parse_error_envelope(env("unauthorized", 1001, "Unauthorized: x"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->error, "unauthorized");
  EXPECT_EQ(e->error_code, 1001);
  EXPECT_EQ(e->message, "Unauthorized: x");
  EXPECT_FALSE(nyx::parse_error_envelope(R"({"code":1})"));
  EXPECT_FALSE(nyx::parse_error_envelope(R"({"error":true})"));  // aevatar's wrapper, not NyxID's
}

struct row {
  const char* name;
  relay_op op;
  relay_credential cred;
  relay_transport transport;
  int status;
  std::string body;
  int32_t code;
  relay_error_kind kind;
  bool spent;
  bool stop_editing;
};

TEST(relay_errors, classification_table) {
  const auto T = relay_transport::answered;
  const auto tok = relay_credential::reply_token;
  const auto key = relay_credential::api_key;
  const auto R = relay_op::reply;
  const auto U = relay_op::update;
  const std::vector<row> rows = {
      // /reply with the reply token: what burns it.
      {"reply ok", R, tok, T, 200, R"({"message_id":"o"})", PB_OK, relay_error_kind::none, true,
       false},
      {"already used", R, tok, T, 401,
       env("unauthorized", 1001, "Unauthorized: Reply token already used"), PB_ERR_TOKEN_USED,
       relay_error_kind::token_already_used, true, false},
      {"expired", R, tok, T, 401, env("token_expired", 2001, "Token expired"), PB_ERR_TOKEN_USED,
       relay_error_kind::token_expired, true, false},
      {"validation 400", R, tok, T, 400,
       env("validation_error", 1008, "Validation error: Reply must include non-empty text"),
       PB_ERR_TOKEN_USED, relay_error_kind::validation, true, false},
      {"bot inactive 400", R, tok, T, 400, env("channel_bot_inactive", 10001, "x"),
       PB_ERR_TOKEN_USED, relay_error_kind::bot_inactive, true, false},
      {"platform 502", R, tok, T, 502,
       env("channel_platform_error", 10005, "Channel platform error: lark send failed"),
       PB_ERR_TOKEN_USED, relay_error_kind::platform_error, true, false},
      {"500 no body", R, tok, T, 500, "", PB_ERR_TOKEN_USED, relay_error_kind::server_error, true,
       false},
      {"timeout after send", R, tok, relay_transport::no_answer, 0, "", PB_ERR_TOKEN_USED,
       relay_error_kind::no_answer, true, false},
      {"never sent", R, tok, relay_transport::not_sent, 0, "", PB_ERR_RETRYABLE,
       relay_error_kind::not_sent, false, false},
      // /reply with the reply token: answers before consumption keep it.
      {"bad token", R, tok, T, 401,
       env("unauthorized", 1001, "Unauthorized: Reply token message_id mismatch"), PB_ERR_AUTH,
       relay_error_kind::unauthorized, false, false},
      {"message 404", R, tok, T, 404, env("not_found", 1003, "Not found: Message not found: m"),
       PB_ERR_NOT_FOUND, relay_error_kind::not_found, false, false},
      {"conflict", R, tok, T, 409, env("conflict", 1004, "c"), PB_ERR_REJECTED,
       relay_error_kind::conflict, false, false},
      {"rate limited", R, tok, T, 429, env("rate_limited", 1005, "Rate limited"),
       PB_ERR_RATE_LIMITED, relay_error_kind::rate_limited, false, false},
      // /reply with the API key.
      {"key validation", R, key, T, 400, env("validation_error", 1008, "v"), PB_ERR_INVALID_INPUT,
       relay_error_kind::validation, false, false},
      {"key device", R, key, T, 400, env("device_channel_reply_not_allowed", 10006, "d"),
       PB_ERR_REJECTED, relay_error_kind::device_channel, false, false},
      {"key 401", R, key, T, 401,
       env("unauthorized", 1001, "Unauthorized: API key or relay reply token required"),
       PB_ERR_AUTH, relay_error_kind::unauthorized, false, false},
      {"key 403", R, key, T, 403,
       env("forbidden", 1002, "Forbidden: API key is not the assigned agent"), PB_ERR_REJECTED,
       relay_error_kind::forbidden, false, false},
      {"key 502", R, key, T, 502, env("channel_platform_error", 10005, "p"), PB_ERR_RETRYABLE,
       relay_error_kind::platform_error, false, false},
      {"key timeout", R, key, relay_transport::no_answer, 0, "", PB_ERR_RETRYABLE,
       relay_error_kind::no_answer, false, false},
      // /reply/update (either credential; edits never burn the token).
      {"edit ok", U, tok, T, 200, "{}", PB_OK, relay_error_kind::none, false, false},
      {"edit unsupported", U, tok, T, 501,
       env("edit_unsupported", 10007, "Channel platform does not support message edits"),
       PB_ERR_UNSUPPORTED, relay_error_kind::edit_unsupported, false, true},
      {"edit 501 bare", U, key, T, 501, "", PB_ERR_UNSUPPORTED, relay_error_kind::edit_unsupported,
       false, true},
      {"edit flood", U, tok, T, 429, env("rate_limited", 1005, "Rate limited"), PB_ERR_RATE_LIMITED,
       relay_error_kind::rate_limited, false, false},
      {"edit before send", U, tok, T, 401,
       env("unauthorized", 1001,
           "Unauthorized: reply token must be used to send before it can edit"),
       PB_ERR_AUTH, relay_error_kind::token_not_used_yet, false, true},
      {"edit 404", U, key, T, 404, env("not_found", 1003, "Not found: Outbound message not found"),
       PB_ERR_NOT_FOUND, relay_error_kind::not_found, false, true},
      {"edit lark 409", U, key, T, 409, env("conflict", 1004, "recalled"), PB_ERR_REJECTED,
       relay_error_kind::conflict, false, true},
      {"edit lark 400", U, key, T, 400, env("validation_error", 1008, "too long"),
       PB_ERR_INVALID_INPUT, relay_error_kind::validation, false, true},
      {"edit 502", U, key, T, 502, env("channel_platform_error", 10005, "x"), PB_ERR_RETRYABLE,
       relay_error_kind::platform_error, false, false},
      {"edit timeout", U, tok, relay_transport::no_answer, 0, "", PB_ERR_RETRYABLE,
       relay_error_kind::no_answer, false, false},
  };
  for (const row& r : rows) {
    const auto e = nyx::classify_relay_result(r.op, r.cred, r.transport, r.status, r.body);
    EXPECT_EQ(e.code, r.code) << r.name;
    EXPECT_EQ(e.kind, r.kind) << r.name << ": " << nyx::to_string(e.kind);
    EXPECT_EQ(e.token_spent, r.spent) << r.name;
    EXPECT_EQ(e.stop_editing, r.stop_editing) << r.name;
    if (!e.ok()) {
      EXPECT_FALSE(e.message.empty()) << r.name;
    }
  }
}

TEST(relay_errors, message_retry_after_and_outcome) {
  auto e = nyx::classify_relay_result(
      relay_op::reply, relay_credential::reply_token, relay_transport::answered, 401,
      env("unauthorized", 1001, "Unauthorized: Reply token already used"));
  EXPECT_EQ(e.message,
            "nyxid reply: HTTP 401 unauthorized (1001): Unauthorized: Reply token already used; "
            "reply token spent");
  EXPECT_EQ(e.error, "unauthorized");
  EXPECT_EQ(e.error_code, 1001);
  auto r = nyx::classify_relay_result(relay_op::update, relay_credential::api_key,
                                      relay_transport::answered, 429, "", " 2 ");
  EXPECT_EQ(r.retry_after_ms, 2000);
  r = nyx::classify_relay_result(relay_op::update, relay_credential::api_key,
                                 relay_transport::answered, 429, "", "Wed, 21 Oct 2015");
  EXPECT_EQ(r.retry_after_ms, 0);
  auto t = nyx::classify_relay_result(relay_op::reply, relay_credential::api_key,
                                      relay_transport::no_answer);
  EXPECT_TRUE(t.outcome_unknown);
}

TEST(relay_errors, secrets_never_reach_the_message) {
  const std::string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJl";
  const std::string body = env("unauthorized", 1001,
                               ("bad token " + jwt +
                                " key nyxid_ag_0123456789abcdef Bearer "
                                "abc.def")
                                   .c_str());
  const auto e = nyx::classify_relay_result(relay_op::reply, relay_credential::reply_token,
                                            relay_transport::answered, 401, body);
  EXPECT_EQ(e.message.find("eyJ"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("nyxid_ag"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("abc.def"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("[redacted]"), std::string::npos);
  EXPECT_EQ(nyx::redact_secrets("plain text"), "plain text");
  EXPECT_LE(nyx::redact_secrets(std::string(1000, 'x')).size(), 300u);
}

TEST(platform_caps, only_lark_and_feishu_edit) {
  for (const char* name : {"lark", "LARK", "feishu", "Feishu"}) {
    const auto p = nyx::parse_platform(name);
    EXPECT_TRUE(nyx::can_edit(p)) << name;
    const auto c = nyx::platform_capabilities(p);
    EXPECT_EQ(c.can_edit, PB_YES);
    EXPECT_EQ(c.max_edits_per_message, 20u);
    EXPECT_EQ(c.reply_token, PB_REPLY_TOKEN_SINGLE_USE);
  }
  for (const char* name : {"telegram", "discord", "slack", "device", "whatsapp", ""}) {
    const auto p = nyx::parse_platform(name);
    EXPECT_FALSE(nyx::can_edit(p)) << name;
    const auto c = nyx::platform_capabilities(p);
    EXPECT_EQ(c.can_edit, PB_NO) << name;
    EXPECT_EQ(c.struct_size, sizeof(pb_capabilities));
    EXPECT_EQ(c.reply_token, PB_REPLY_TOKEN_SINGLE_USE);
  }
  EXPECT_EQ(nyx::parse_platform("whatsapp"), nyx::relay_platform::unknown);
  EXPECT_EQ(nyx::platform_capabilities(nyx::relay_platform::telegram).max_message_size, 4096u);
  EXPECT_EQ(nyx::platform_capabilities(nyx::relay_platform::telegram).message_size_unit,
            PB_UNIT_UTF16);
  EXPECT_STREQ(nyx::to_string(nyx::parse_platform("Slack")), "slack");
}

}  // namespace
