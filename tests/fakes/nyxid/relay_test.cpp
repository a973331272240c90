// /reply and /reply/update: check order, statuses, envelopes, JTI consumption, edit support per
// platform, the edit rate limit (injected clock), faults and state changes.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace fakes_nyxid_test {
namespace {

void expect_envelope(const std::pair<unsigned, json::object>& got, unsigned status,
                     const std::string& error, std::int64_t code, const std::string& message) {
  EXPECT_EQ(got.first, status) << json::serialize(got.second);
  EXPECT_EQ(str(got.second, "error"), error);
  EXPECT_EQ(got.second.at("error_code").as_int64(), code);
  EXPECT_EQ(str(got.second, "message"), message);
}

TEST(Reply, SendsOnceThenTheTokenIsUsed) {
  harness h;
  auto d = h.inject(json::object{{"text", "hi"}});
  const std::string tok = reply_token_of(d);
  auto ok = h.reply(tok, d.message_id, "answer");
  ASSERT_EQ(ok.first, 200u);
  EXPECT_FALSE(str(ok.second, "message_id").empty());
  EXPECT_EQ(str(ok.second, "platform_message_id").rfind("om_", 0), 0u);
  expect_envelope(h.reply(tok, d.message_id, "again"), 401, "unauthorized", 1001,
                  "Unauthorized: Reply token already used");
  auto [st, sent] = h.req("GET", "/_fake/sent");
  ASSERT_EQ(sent.at("sent").as_array().size(), 1u);
  EXPECT_EQ(str(sent.at("sent").as_array()[0].as_object(), "text"), "answer");
  // The request log names the token by jti, never by value.
  auto [st2, log] = h.req("GET", "/_fake/requests?endpoint=reply");
  const auto& reqs = log.at("requests").as_array();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(str(reqs[0].as_object(), "credential"), "reply_token");
  EXPECT_FALSE(str(reqs[0].as_object(), "jti").empty());
  EXPECT_EQ(json::serialize(log).find(tok), std::string::npos);
}

TEST(Reply, PlatformFailureAndValidationStillBurnTheToken) {
  harness h;
  h.req("POST", "/_fake/fault", R"({"kind":"platform_error","endpoint":"reply","status":502})");
  auto d = h.inject(json::object{{"text", "hi"}});
  auto r = h.reply(reply_token_of(d), d.message_id);
  EXPECT_EQ(r.first, 502u);
  EXPECT_EQ(str(r.second, "error"), "channel_platform_error");
  EXPECT_EQ(r.second.at("error_code").as_int64(), 10005);
  EXPECT_EQ(h.reply(reply_token_of(d), d.message_id).first, 401u);

  auto d2 = h.inject(json::object{{"text", "hi"}});
  expect_envelope(h.reply(reply_token_of(d2), d2.message_id, "  "), 400, "validation_error", 1008,
                  "Validation error: Reply must include non-empty text or metadata.card");
  EXPECT_EQ(str(h.reply(reply_token_of(d2), d2.message_id).second, "message"),
            "Unauthorized: Reply token already used");

  // A card on Telegram: 400 after consumption.
  auto d3 = h.inject(json::object{{"platform", "telegram"}, {"text", "hi"}});
  auto card = h.req(
      "POST", "/api/v1/channel-relay/reply",
      R"({"message_id":")" + d3.message_id + R"(","reply":{"text":"","metadata":{"card":{}}}})",
      {{"Authorization", "Bearer " + reply_token_of(d3)}});
  expect_envelope(card, 400, "validation_error", 1008,
                  "Validation error: metadata.card is only supported on Lark/Feishu (got "
                  "platform=telegram)");
}

TEST(Reply, ChecksBeforeConsumptionKeepTheToken) {
  harness h;
  auto d = h.inject(json::object{{"text", "a"}});
  auto other = h.inject(json::object{{"text", "b"}});
  const std::string tok = reply_token_of(d);
  expect_envelope(h.reply(tok, "no-such-id"), 404, "not_found", 1003,
                  "Not found: Message not found: no-such-id");
  expect_envelope(h.reply(tok, other.message_id), 401, "unauthorized", 1001,
                  "Unauthorized: Reply token message_id mismatch");
  expect_envelope(h.reply("garbage.token.x", d.message_id), 401, "unauthorized", 1001,
                  "Unauthorized: Invalid API key");
  h.req("POST", "/_fake/state", R"({"bot_active":false,"platform":"lark"})");
  expect_envelope(h.reply(tok, d.message_id), 400, "channel_bot_inactive", 10001,
                  "Channel bot inactive or invalid: Bot has been deactivated");
  h.req("POST", "/_fake/state", R"({"bot_active":true,"platform":"lark"})");
  h.req("POST", "/_fake/state", R"({"api_key_active":false})");
  expect_envelope(h.reply(tok, d.message_id), 401, "unauthorized", 1001,
                  "Unauthorized: Reply token API key is inactive");
  h.req("POST", "/_fake/state", R"({"api_key_active":true})");
  auto conv = h.req("POST", "/_fake/state",
                    R"({"message_id":")" + d.message_id + R"(","conversation_active":false})");
  ASSERT_EQ(conv.first, 200u);
  EXPECT_EQ(h.reply(tok, d.message_id).first, 404u);
  h.req("POST", "/_fake/state",
        R"({"message_id":")" + d.message_id + R"(","conversation_active":true})");
  EXPECT_EQ(h.reply(tok, d.message_id).first, 200u);  // none of the above consumed it
}

TEST(Reply, ExpiredAndForgedTokens) {
  harness h;
  auto d = h.inject(json::object{{"text", "a"}});
  const std::string tok = reply_token_of(d);
  h.now_ms += (1800 + 61) * 1000;
  expect_envelope(h.reply(tok, d.message_id), 401, "token_expired", 2001, "Token expired");
  auto [st, minted] = h.req("POST", "/_fake/reply_token",
                            R"({"message_id":")" + d.message_id + R"(","unknown_kid":true})");
  EXPECT_EQ(h.reply(str(minted, "reply_token"), d.message_id).first, 401u);
  auto [st2, wrong] =
      h.req("POST", "/_fake/reply_token",
            R"({"message_id":")" + d.message_id + R"(","claims":{"platform":"slack"}})");
  expect_envelope(h.reply(str(wrong, "reply_token"), d.message_id), 401, "unauthorized", 1001,
                  "Unauthorized: Reply token platform mismatch");
  expect_envelope(h.req("POST", "/api/v1/channel-relay/reply", "{}"), 401, "unauthorized", 1001,
                  "Unauthorized: API key or relay reply token required");
}

TEST(Reply, ApiKeyPath) {
  harness h;
  auto first = obj(json::serialize(h.fake.startup_info("x")));
  const std::string key = str(first, "api_key");
  auto d = h.inject(json::object{{"text", "a"}});
  EXPECT_EQ(h.reply(key, d.message_id).first, 200u);
  EXPECT_EQ(h.reply(key, d.message_id).first, 200u);  // nothing to spend
  auto [st, other] = h.req("POST", "/_fake/api_keys", R"({"name":"other"})");
  expect_envelope(h.reply(str(other, "key"), d.message_id), 403, "forbidden", 1002,
                  "Forbidden: API key is not the assigned agent for this conversation");
}

TEST(Update, EditsLarkOnlyAfterTheTokenSent) {
  harness h;
  auto d = h.inject(json::object{{"text", "a"}});
  const std::string tok = reply_token_of(d);
  expect_envelope(h.update(tok, "om_unknown"), 401, "unauthorized", 1001,
                  "Unauthorized: reply token must be used to send before it can edit");
  auto sent = h.reply(tok, d.message_id, "…");
  const std::string om = str(sent.second, "platform_message_id");
  auto e = h.update(tok, om, "partial");
  ASSERT_EQ(e.first, 200u) << json::serialize(e.second);
  EXPECT_EQ(str(e.second, "upstream_message_id"), om);
  EXPECT_FALSE(str(e.second, "edited_at").empty());
  EXPECT_EQ(h.update(tok, om, "final").first, 200u);  // edits do not consume
  expect_envelope(h.update(tok, "om_nope"), 404, "not_found", 1003,
                  "Not found: Outbound message not found: om_nope");
  auto [st, s] = h.req("GET", "/_fake/sent");
  const auto& row = s.at("sent").as_array()[0].as_object();
  EXPECT_EQ(str(row, "text"), "final");
  EXPECT_EQ(str(row, "first_text"), "…");
  EXPECT_EQ(row.at("edit_count").as_int64(), 2);

  auto t = h.inject(json::object{{"platform", "telegram"}, {"text", "a"}});
  auto ts = h.reply(reply_token_of(t), t.message_id, "x");
  expect_envelope(h.update(reply_token_of(t), str(ts.second, "platform_message_id")), 501,
                  "edit_unsupported", 10007, "Channel platform does not support message edits");
}

TEST(Update, RateLimitedPerMessageBeforeAuth) {
  harness h;
  auto d = h.inject(json::object{{"text", "a"}});
  const std::string tok = reply_token_of(d);
  const std::string om = str(h.reply(tok, d.message_id).second, "platform_message_id");
  for (int i = 0; i < 20; ++i) ASSERT_EQ(h.update(tok, om).first, 200u) << i;
  expect_envelope(h.update(tok, om), 429, "rate_limited", 1005, "Rate limited");
  EXPECT_EQ(h.update("not-even-a-token", om).first, 429u);  // before auth
  h.now_ms += 100;
  EXPECT_EQ(h.update(tok, om).first, 200u);
}

TEST(Update, LarkEditErrorsMapLikeNyxID) {
  harness h;
  auto d = h.inject(json::object{{"text", "a"}});
  const std::string tok = reply_token_of(d);
  const std::string om = str(h.reply(tok, d.message_id).second, "platform_message_id");
  const std::vector<std::pair<int, unsigned>> cases{
      {230020, 429}, {230072, 409}, {230001, 400}, {999, 502}};
  for (auto [code, status] : cases) {
    h.req("POST", "/_fake/fault",
          R"({"kind":"platform_error","endpoint":"reply_update","lark_code":)" +
              std::to_string(code) + "}");
    EXPECT_EQ(h.update(tok, om).first, status) << code;
  }
  EXPECT_EQ(h.update(tok, om).first, 200u);
}

TEST(Faults, DelayAndDropHappenAfterConsumption) {
  harness h;
  h.req("POST", "/_fake/fault", R"({"kind":"delay","endpoint":"reply","ms":5000})");
  auto d = h.inject(json::object{{"text", "a"}});
  auto a = h.call("POST", "/api/v1/channel-relay/reply",
                  R"({"message_id":")" + d.message_id + R"(","reply":{"text":"x"}})",
                  {{"Authorization", "Bearer " + reply_token_of(d)}});
  EXPECT_EQ(a.what, nx::action::kind::delay);
  EXPECT_EQ(a.delay_ms, 5000);
  EXPECT_EQ(h.reply(reply_token_of(d), d.message_id).first, 401u);
  h.req("POST", "/_fake/fault", R"({"kind":"status","endpoint":"reply","status":503})");
  auto d2 = h.inject(json::object{{"text", "a"}});
  EXPECT_EQ(h.reply(reply_token_of(d2), d2.message_id).first, 503u);  // before the handler
  EXPECT_EQ(h.reply(reply_token_of(d2), d2.message_id).first, 200u);
  h.req("POST", "/_fake/reset");
  auto [st, f] = h.req("GET", "/_fake/faults");
  EXPECT_TRUE(f.at("faults").as_array().empty());
}

}  // namespace
}  // namespace fakes_nyxid_test
