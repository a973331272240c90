// The reply context the plugin hands the host, and the choice of route and credential for each
// send and edit (token, api key, proxy, or an honest failure).
#include <gtest/gtest.h>

#include "nyxid/channel/reply_plan.hpp"

namespace nx = patchbay::plugins::nyxid;

TEST(NyxidReplyContext, RoundTripsAndRejectsForeignBytes) {
  const std::string b = nx::encode_reply_context({"msg-1", "eyJtok", "lark"});
  auto c = nx::decode_reply_context(b);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->message_id, "msg-1");
  EXPECT_EQ(c->token, "eyJtok");
  EXPECT_EQ(c->platform, "lark");
  auto none = nx::decode_reply_context(nx::encode_reply_context({"msg-2", "", "telegram"}));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->token.empty());
  EXPECT_FALSE(nx::decode_reply_context("ctx-token-from-weixin"));
  EXPECT_FALSE(nx::decode_reply_context(R"({"t":"eyJ"})"));
  EXPECT_FALSE(nx::decode_reply_context(""));
}

TEST(NyxidReplyContext, TokenKeyHidesTheToken) {
  const std::string k = nx::token_key("eyJsecret");
  EXPECT_EQ(k.size(), 64u);
  EXPECT_EQ(k.find("secret"), std::string::npos);
  EXPECT_EQ(k, nx::token_key("eyJsecret"));
  EXPECT_NE(k, nx::token_key("eyJsecreT"));
}

TEST(NyxidSendPlan, FreshTokenRepliesWithIt) {
  const std::string ctx = nx::encode_reply_context({"m1", "eyJt", "lark"});
  auto p = nx::plan_send(ctx, "m1", false, true, true);
  EXPECT_EQ(p.route, nx::send_route::reply_with_token);
  EXPECT_EQ(p.token, "eyJt");
  EXPECT_EQ(p.inbound_message_id, "m1");
  EXPECT_EQ(p.platform, "lark");
}

TEST(NyxidSendPlan, SpentTokenNeverReused) {
  const std::string ctx = nx::encode_reply_context({"m1", "eyJt", "lark"});
  auto with_key = nx::plan_send(ctx, "m1", true, true, false);
  EXPECT_EQ(with_key.route, nx::send_route::reply_with_api_key);
  EXPECT_TRUE(with_key.token.empty());
  EXPECT_EQ(with_key.inbound_message_id, "m1");
  EXPECT_EQ(nx::plan_send(ctx, "m1", true, false, true).route, nx::send_route::token_spent_no_key);
}

TEST(NyxidSendPlan, HostRetryWithoutContextUsesReplyTo) {
  // The renderer's retry after token_used drops the context but keeps reply_to.
  auto p = nx::plan_send("", "m9", false, true, true);
  EXPECT_EQ(p.route, nx::send_route::reply_with_api_key);
  EXPECT_EQ(p.inbound_message_id, "m9");
  EXPECT_EQ(nx::plan_send("", "m9", false, false, true).route, nx::send_route::token_spent_no_key);
}

TEST(NyxidSendPlan, NoTokenNeedsTheApiKey) {
  const std::string ctx = nx::encode_reply_context({"m1", "", "telegram"});
  EXPECT_EQ(nx::plan_send(ctx, "m1", false, true, false).route, nx::send_route::reply_with_api_key);
  EXPECT_EQ(nx::plan_send(ctx, "m1", false, false, false).route, nx::send_route::no_credential);
}

TEST(NyxidSendPlan, ProactiveGoesThroughTheProxy) {
  EXPECT_EQ(nx::plan_send("", "", false, true, true).route, nx::send_route::proxy);
  EXPECT_EQ(nx::plan_send("", "", false, true, false).route, nx::send_route::no_proxy);
  EXPECT_EQ(nx::plan_send("garbage", "", false, true, true).route, nx::send_route::bad_context);
}

TEST(NyxidEditPlan, ApiKeyFirstThenTheToken) {
  const std::string ctx = nx::encode_reply_context({"m1", "eyJt", "lark"});
  std::string token;
  EXPECT_EQ(nx::plan_edit(ctx, true, &token), nx::edit_credential::api_key);
  EXPECT_TRUE(token.empty());
  EXPECT_EQ(nx::plan_edit(ctx, false, &token), nx::edit_credential::reply_token);
  EXPECT_EQ(token, "eyJt");
  EXPECT_EQ(nx::plan_edit("", false, nullptr), nx::edit_credential::none);
  EXPECT_EQ(nx::plan_edit(nx::encode_reply_context({"m1", "", "lark"}), false, nullptr),
            nx::edit_credential::none);
}

TEST(NyxidTransport, NotSentOnlyBeforeTheRequestLeft) {
  using t = nx::relay_transport;
  EXPECT_EQ(nx::relay_transport_of(""), t::answered);
  for (const char* e : {"connection refused", "connect timeout", "resolve failed: no address",
                        "tls: handshake timeout", "connect failed: x", "bad url: y"})
    EXPECT_EQ(nx::relay_transport_of(e), t::not_sent) << e;
  for (const char* e :
       {"first byte timeout", "total timeout", "idle timeout", "cancelled", "aborted",
        "write failed: reset", "connection closed before the response", "read failed: eof"})
    EXPECT_EQ(nx::relay_transport_of(e), t::no_answer) << e;
}
