// The Feishu/Lark channel (the real plugin .so in a minimal host, channel_driver.hpp) against a
// real Open API peer on loopback (open_api_peer.hpp): start → token + bot identity → status;
// webhook mode through the ABI's http entry (the note's §7 test vectors, a signed encrypted event
// answered only once durable, duplicates, refusals); reply/send/edit with uuid keys and the edit
// cap; the invalid-token retry; rate limits; refused credentials → failed; no secret in any log.
#include "channel_driver.hpp"

namespace {
using namespace fstest;

TEST(FeishuChannel, StartFetchesTokenAndIdentityThenWebhookModeIsConnected) {
  ASSERT_NE(pbdrv::load_plugin(PB_LARK_PLUGIN), nullptr) << dlerror();
  open_api_peer peer;
  instance in(config(peer));
  ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
  ASSERT_TRUE(in.connected()) << in.host.all_logs();
  auto info = peer.to("/open-apis/bot/v3/info");
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].authorization, "Bearer t-1");
  auto tok = peer.to("/open-apis/auth/v3/tenant_access_token/internal");
  ASSERT_EQ(tok.size(), 1u);
  EXPECT_NE(tok[0].body.find(kSecret), std::string::npos);  // on the wire, and only there
  EXPECT_EQ(in.host.all_logs().find(kSecret), std::string::npos);
}

TEST(FeishuChannel, BadConfigIsRefusedWithoutEchoingTheSecret) {
  ASSERT_NE(pbdrv::load_plugin(PB_LARK_PLUGIN), nullptr);
  instance in(std::string(R"({"app_id":"cli_x","app_secret":")") + kSecret + "\"}");
  EXPECT_EQ(in.create_rc, PB_ERR_INVALID_INPUT);
  EXPECT_NE(in.create_error.find("app_id"), std::string::npos) << in.create_error;
  EXPECT_EQ(in.create_error.find(kSecret), std::string::npos);
}

TEST(FeishuChannel, RefusedCredentialsReportFailedWithTheReason) {
  open_api_peer peer;
  peer.refuse_credentials = true;
  instance in(config(peer));
  ASSERT_EQ(in.create_rc, PB_OK);
  ASSERT_TRUE(open_api_peer::wait_for([&] { return in.host.has_state(PB_STATE_FAILED); }));
  const std::string logs = in.host.all_logs();
  EXPECT_NE(logs.find("10014"), std::string::npos) << logs;
  EXPECT_EQ(logs.find(kSecret), std::string::npos);
  EXPECT_FALSE(in.host.has_state(PB_STATE_CONNECTED));
  // No fast retry loop: one fetch now, the next only after fatal_retry (5 min by default).
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(peer.to("/open-apis/auth/v3/tenant_access_token/internal").size(), 1u);
}

TEST(FeishuChannel, WebhookNoteVectorsThroughTheAbi) {
  open_api_peer peer;
  // The note's vectors are signed at 1700000000: staleness off for this check.
  instance in(config(peer, R"(,"webhook_max_skew_s":0)"));
  ASSERT_TRUE(in.connected());
  const std::string body = R"({"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="})";
  std::vector<std::pair<std::string, std::string>> h{
      {"X-Lark-Request-Timestamp", "1700000000"},
      {"X-Lark-Request-Nonce", "abc"},
      {"X-Lark-Signature", "0c09d96c2aef2ad08179b3967ea410bbc91dab24ce3aec05af962cf1935844af"}};
  // Signature good, decrypts to "hello world": not an event → 400, nothing dispatched.
  EXPECT_EQ(in.post(body, h).status, 400u);
  h[2].second[0] = '1';  // forged
  EXPECT_EQ(in.post(body, h).status, 401u);
  auto signed_event = delivery(message_event("ev-u", "om_u", "p2p", R"({"text":"x"})", false));
  EXPECT_EQ(in.post(signed_event.first, {}).status, 401u);  // an unsigned event
  EXPECT_EQ(in.host.inbound_count(), 0u);
}

TEST(FeishuChannel, WebhookChallengeAndStaleRequests) {
  open_api_peer peer;
  instance in(config(peer));
  ASSERT_TRUE(in.connected());
  auto [body, h] = delivery(R"({"challenge":"ch-1","token":"vt","type":"url_verification"})");
  auto a = in.post(body, h);
  EXPECT_EQ(a.status, 200u);
  EXPECT_EQ(json::parse(a.body).at("challenge").as_string(), "ch-1");
  // Wrong verification token → 401.
  auto [b2, h2] = delivery(R"({"challenge":"ch-2","token":"other","type":"url_verification"})");
  EXPECT_EQ(in.post(b2, h2).status, 401u);
  // Signed an hour ago → stale.
  auto [b3, h3] = delivery(message_event("ev-s", "om_s", "p2p", R"({"text":"x"})", false));
  h3[0].second = std::to_string(std::stoll(h3[0].second) - 3600);
  h3[2].second = crypto::webhook_signature(h3[0].second, "n1", kKey, b3);
  EXPECT_EQ(in.post(b3, h3).status, 401u);
  EXPECT_EQ(in.host.inbound_count(), 0u);
}

TEST(FeishuChannel, WebhookEventIsAnsweredAfterDurableAndDeduplicated) {
  open_api_peer peer;
  instance in(config(peer));
  ASSERT_TRUE(in.connected());
  auto [body, h] = delivery(message_event("ev-1", "om_1", "p2p", R"({"text":"hello"})", false));
  auto a = in.post(body, h);
  EXPECT_EQ(a.status, 200u) << a.body << in.host.all_logs();
  ASSERT_EQ(in.host.inbound_count(), 1u);
  EXPECT_EQ(in.inbound()[0], "om_1|oc_chat|hello|om_1|");
  // The re-push (same event id) and the same message under another event id: 200, no emit.
  EXPECT_EQ(in.post(body, h).status, 200u);
  auto [b2, h2] = delivery(message_event("ev-2", "om_1", "p2p", R"({"text":"hello"})", false));
  EXPECT_EQ(in.post(b2, h2).status, 200u);
  EXPECT_EQ(in.host.inbound_count(), 1u);
  // A group message without the mention is acknowledged and dropped; with it, emitted.
  auto [b3, h3] = delivery(message_event("ev-3", "om_3", "group", R"({"text":"chat"})", false));
  EXPECT_EQ(in.post(b3, h3).status, 200u);
  EXPECT_EQ(in.host.inbound_count(), 1u);
  auto [b4, h4] =
      delivery(message_event("ev-4", "om_4", "group", R"({"text":"@_user_1 do it"})", true));
  EXPECT_EQ(in.post(b4, h4).status, 200u);
  ASSERT_EQ(in.host.inbound_count(), 2u);
  EXPECT_EQ(in.inbound()[1], "om_4|oc_chat|do it|om_4|ou_bot*");
}

TEST(FeishuChannel, RefusedByTheHostAnswers503SoThePlatformRepushes) {
  open_api_peer peer;
  instance in(config(peer));
  ASSERT_TRUE(in.connected());
  {
    std::lock_guard lock(in.host.mu);
    in.host.refuse_inbound = true;
  }
  auto [body, h] = delivery(message_event("ev-r", "om_r", "p2p", R"({"text":"x"})", false));
  EXPECT_EQ(in.post(body, h).status, 503u);
  {
    std::lock_guard lock(in.host.mu);
    in.host.refuse_inbound = false;
  }
  EXPECT_EQ(in.post(body, h).status, 200u);  // the re-push goes through
  EXPECT_EQ(in.host.inbound_count(), 2u);
}

TEST(FeishuChannel, ReplySendAndEditWithIdempotencyKeys) {
  open_api_peer peer;
  instance in(config(peer, R"(,"rate_chat_per_second":1000,"rate_chat_burst":100)"));
  ASSERT_TRUE(in.connected());
  auto r1 = in.send("oc_chat", "om_in", "part one", "turn-1");
  ASSERT_EQ(r1.code, PB_OK) << r1.message;
  EXPECT_EQ(r1.id.rfind("om_r", 0), 0u);
  EXPECT_EQ(in.send("oc_chat", "om_in", "part one", "turn-1").code, PB_OK);  // a retry
  EXPECT_EQ(in.send("oc_chat", "om_in", "part two", "turn-1").code, PB_OK);
  auto replies = peer.to("/open-apis/im/v1/messages/om_in/reply");
  ASSERT_EQ(replies.size(), 3u);
  auto field = [](const recorded& r, const char* k) {
    return std::string(json::parse(r.body).at(k).as_string());
  };
  EXPECT_EQ(field(replies[0], "uuid"), field(replies[1], "uuid"));
  EXPECT_NE(field(replies[0], "uuid"), field(replies[2], "uuid"));
  EXPECT_EQ(field(replies[0], "msg_type"), "text");
  EXPECT_EQ(json::parse(field(replies[0], "content")).at("text").as_string(), "part one");
  // Not a reply: sent to the chat, receive_id_type from the id's shape.
  auto s = in.send("oc_chat", "", "hi", "turn-2");
  ASSERT_EQ(s.code, PB_OK) << s.message;
  bool found = false;
  for (const auto& r : peer.to("/open-apis/im/v1/messages"))
    if (r.method == "POST" && r.query == "receive_id_type=chat_id") found = true;
  EXPECT_TRUE(found);
  // Edits: PUT, until the platform's cap → unsupported (the host then sends new messages).
  for (int i = 0; i < 20; ++i) {
    auto e = in.edit(r1.id, "edit " + std::to_string(i));
    ASSERT_EQ(e.code, PB_OK) << e.message;
    EXPECT_EQ(e.id, r1.id);
  }
  auto capped = in.edit(r1.id, "one too many");
  EXPECT_EQ(capped.code, PB_ERR_UNSUPPORTED) << capped.message;
  EXPECT_NE(capped.message.find("230072"), std::string::npos) << capped.message;
}

TEST(FeishuChannel, ReplyToARecalledMessageFallsBackToTheChat) {
  open_api_peer peer;
  instance in(config(peer));
  ASSERT_TRUE(in.connected());
  {
    std::lock_guard lock(peer.mu);
    peer.not_found_replies = 1;
  }
  auto r = in.send("oc_chat", "om_gone", "answer", "turn-3");
  ASSERT_EQ(r.code, PB_OK) << r.message << in.host.all_logs();
  EXPECT_EQ(r.id.rfind("om_s", 0), 0u);
}

TEST(FeishuChannel, InvalidTokenIsDroppedRefetchedAndTheCallRetriedOnce) {
  open_api_peer peer;
  instance in(config(peer));
  ASSERT_TRUE(in.connected());
  {
    std::lock_guard lock(peer.mu);
    peer.invalid_token_answers = 1;
  }
  auto r = in.send("oc_chat", "", "hi", "turn-4");
  EXPECT_EQ(r.code, PB_OK) << r.message;
  EXPECT_EQ(peer.to("/open-apis/auth/v3/tenant_access_token/internal").size(), 2u);
  auto sends = peer.to("/open-apis/im/v1/messages");
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_EQ(sends[0].authorization, "Bearer t-1");
  EXPECT_EQ(sends[1].authorization, "Bearer t-2");
  // Twice in a row: retried once only, then the failure reaches the host.
  {
    std::lock_guard lock(peer.mu);
    peer.invalid_token_answers = 2;
  }
  EXPECT_EQ(in.send("oc_chat", "", "hi again", "turn-5").code, PB_ERR_AUTH);
  const std::string logs = in.host.all_logs();
  EXPECT_EQ(logs.find("t-1"), std::string::npos) << logs;  // tokens never logged
  EXPECT_EQ(logs.find("t-2"), std::string::npos);
}

TEST(FeishuChannel, RateLimitAnswerFailsWithRetryAfter) {
  open_api_peer peer;
  instance in(config(peer));
  ASSERT_TRUE(in.connected());
  {
    std::lock_guard lock(peer.mu);
    peer.rate_limit_answers = 1;
  }
  auto r = in.send("oc_chat", "", "hi", "turn-6");
  EXPECT_EQ(r.code, PB_ERR_RATE_LIMITED) << r.message;
  EXPECT_EQ(r.retry_after_ms, 3000);
}

TEST(FeishuChannel, ClientSideRateLimitWaitsInsteadOfFailing) {
  open_api_peer peer;
  // One message per 100 ms per chat, no burst: five sends take >= 400 ms, none fails.
  instance in(config(peer, R"(,"rate_chat_per_second":10,"rate_chat_burst":1)"));
  ASSERT_TRUE(in.connected());
  std::vector<std::promise<outcome>> ps(5);
  std::vector<std::string> texts;
  for (int i = 0; i < 5; ++i) texts.push_back("m" + std::to_string(i));
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    pb_outbound_message m{};
    m.struct_size = sizeof m;
    m.conversation_id = {"oc_chat", 7};
    m.text = {texts[i].data(), texts[i].size()};
    in.d->vtable->send(in.inst, &m, &pbdrv::instance::op_done, &ps[i]);
  }
  for (auto& p : ps) EXPECT_EQ(pbdrv::instance::wait(p).code, PB_OK);
  // A lower bound only (pacing happened); no upper bound on a shared CI machine.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 350ms);
  EXPECT_EQ(peer.to("/open-apis/im/v1/messages").size(), 5u);
}

TEST(FeishuChannel, WebsocketModeStartsTheSupervisorAfterTheIdentityAndStops) {
  open_api_peer peer;  // answers discovery with 404: the supervisor keeps retrying, with backoff
  {
    instance in(
        config(peer, R"(,"mode":"websocket","reconnect_initial_ms":50,"reconnect_max_ms":200)"),
        PB_FEISHU_PLUGIN);
    ASSERT_EQ(in.create_rc, PB_OK) << in.create_error;
    ASSERT_TRUE(open_api_peer::wait_for([&] { return !peer.to("/callback/ws/endpoint").empty(); }))
        << in.host.all_logs();
    std::lock_guard lock(peer.mu);
    ASSERT_GE(peer.requests.size(), 3u);
    EXPECT_EQ(peer.requests[1].path, "/open-apis/bot/v3/info");  // identity before any connect
  }  // stop + destroy within the deadline (checked in ~instance)
  EXPECT_FALSE(peer.to("/callback/ws/endpoint").empty());
}

}  // namespace
