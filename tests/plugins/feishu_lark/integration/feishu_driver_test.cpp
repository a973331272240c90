// The feishu plugin .so driven through its C ABI by the test host (tests/support), against
// the fake Feishu server: what the real host cannot be made to do on command — hold the
// durability answer of an inbound message, or refuse it. The ack must wait for durability; a
// refusal must leave the event to be re-pushed, and the re-push is then acked once durable.
#include "fake_feishu.hpp"
#include "plugin_driver.hpp"

namespace {
using namespace fstest;

struct feishu_instance : pbdrv::instance {
  feishu_instance(const fake_feishu& fake, const std::string& mode = "websocket",
                  json::object extra = {})
      : pbdrv::instance(PB_FEISHU_PLUGIN, "fs", config_json(fake, fake.apps[0], mode, extra)) {}
};

bool connected(pbdrv::instance& in) {
  return wait_for([&] {
    auto s = in.host.states();
    return !s.empty() && s.back() == PB_STATE_CONNECTED;
  });
}

TEST(FeishuDriver, EventIsAckedOnlyAfterTheHostMadeItDurable) {
  fake_feishu fake;
  feishu_instance in(fake);
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  in.host.hold_inbound = true;
  ASSERT_TRUE(connected(in)) << in.host.all_logs() << fake.logs();

  auto ev = fake.inject_text("hold me");
  const std::string event_id = str(ev, "event_id");
  ASSERT_TRUE(wait_for([&] { return in.host.inbound_count() == 1; })) << in.host.all_logs();
  auto rec = in.host.inbound_at(0);
  EXPECT_EQ(rec.text, "hold me");
  EXPECT_EQ(rec.message_id, str(ev, "message_id"));
  EXPECT_EQ(rec.conversation_id, str(ev, "chat_id"));
  EXPECT_EQ(rec.kind, PB_CONVERSATION_DIRECT);
  // Not durable yet: no ack of any kind went out.
  std::this_thread::sleep_for(1500ms);
  auto e = fake.event(event_id);
  ASSERT_TRUE(e.is_object());
  EXPECT_FALSE(e.at("acked").as_bool()) << json::serialize(e);
  // Durable now: acked 200, with biz_rt.
  in.host.answer_inbound(0, PB_INBOUND_ACCEPTED);
  ASSERT_TRUE(wait_for([&] { return fake.acked_ok(event_id); }))
      << json::serialize(fake.event(event_id));
  EXPECT_FALSE(str(fake.event(event_id), "ack_biz_rt").empty());
}

TEST(FeishuDriver, RefusedEventIsNotAckedAsDeliveredAndIsRepushed) {
  fake_feishu fake;
  fake.config(json::object{{"ack_timeout_ms", 500}, {"repush_ms", json::array{300, 300}}});
  feishu_instance in(fake);
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  in.host.hold_inbound = true;
  ASSERT_TRUE(connected(in)) << in.host.all_logs();

  auto ev = fake.inject_text("store is down");
  const std::string event_id = str(ev, "event_id");
  ASSERT_TRUE(wait_for([&] { return in.host.inbound_count() == 1; }));
  in.host.answer_inbound(0, PB_INBOUND_REFUSED, PB_ERR_RETRYABLE);
  // The platform re-pushes it (same event id): the plugin hands it to the host again.
  ASSERT_TRUE(wait_for([&] { return in.host.inbound_count() >= 2; })) << in.host.all_logs();
  EXPECT_FALSE(fake.acked_ok(event_id));
  EXPECT_EQ(in.host.inbound_at(1).event_id, in.host.inbound_at(0).event_id);
  in.host.answer_inbound(1, PB_INBOUND_ACCEPTED);
  EXPECT_TRUE(wait_for([&] { return fake.acked_ok(event_id); }));
}

TEST(FeishuDriver, BadConfigIsRefusedWithoutEchoingTheSecret) {
  fake_feishu fake;
  pbdrv::instance in(PB_FEISHU_PLUGIN, "fs",
                     R"({"app_id":"not-an-app-id","app_secret":"very-secret-value-99"})");
  EXPECT_EQ(in.create_rc, PB_ERR_INVALID_INPUT);
  EXPECT_NE(in.create_error.find("app_id"), std::string::npos) << in.create_error;
  EXPECT_EQ(in.create_error.find("very-secret-value-99"), std::string::npos);
}

// A connected instance that has received one message ("ping"), for the outbound tests.
class FeishuDriverChat : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
    ASSERT_TRUE(connected(in));
    ev = fake.inject_text("ping");
    ASSERT_TRUE(wait_for([&] { return in.host.inbound_count() == 1; }));
  }
  fake_feishu fake;
  feishu_instance in{fake};
  json::object ev;
};

TEST_F(FeishuDriverChat, SendRetryWithTheSameTurnPostsOnce) {
  const std::string chat = str(ev, "chat_id");
  auto a = in.send(chat, "answer", str(ev, "message_id"), "turn-7-p1");
  auto b = in.send(chat, "answer", str(ev, "message_id"), "turn-7-p1");
  ASSERT_EQ(a.code, PB_OK) << a.message;
  ASSERT_EQ(b.code, PB_OK) << b.message;
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(fake.bot_messages(str(ev, "message_id")).size(), 1u);
  // Edits go to that message; the 21st is refused as unsupported (the host then stops editing).
  for (int i = 1; i <= 20; ++i)
    ASSERT_EQ(in.edit(chat, a.id, "edit " + std::to_string(i)).code, PB_OK) << i;
  auto over = in.edit(chat, a.id, "edit 21");
  EXPECT_EQ(over.code, PB_ERR_UNSUPPORTED) << over.message;
}

TEST_F(FeishuDriverChat, RateLimitIsReportedWithTheResetTime) {
  fake.fault(json::object{{"kind", "rate_limit"}, {"count", 1}, {"reset_s", 7}});
  auto r = in.send(str(ev, "chat_id"), "answer", {}, "turn-8-p1");
  EXPECT_EQ(r.code, PB_ERR_RATE_LIMITED) << r.message;
  EXPECT_GE(r.retry_after_ms, 6000);
  EXPECT_LE(r.retry_after_ms, 8000);
}

TEST_F(FeishuDriverChat, InvalidTokenIsRefetchedAndTheCallRetriedOnce) {
  const size_t tokens = fake.requests_to("/tenant_access_token/internal").size();
  fake.fault(json::object{{"kind", "invalid_token"}, {"count", 1}});
  auto r = in.send(str(ev, "chat_id"), "after a token reset", {}, "turn-9-p1");
  EXPECT_EQ(r.code, PB_OK) << r.message << in.host.all_logs();
  EXPECT_EQ(fake.requests_to("/tenant_access_token/internal").size(), tokens + 1);
}

}  // namespace
