// The NyxID plugin .so in a real `patchbay run` against the fake NyxID (tools/fakes/nyxid):
// signed callbacks → echo agent → placeholder, edits and final text on Lark; single-use reply
// tokens never reused (agent failure, 502 on /reply); Telegram without edits; each forged
// callback refused with nothing dispatched; proactive sends through the proxy (a 3 MB report in
// ≥ 100 parts within the limit; a cross-tenant rejection whose notice takes the fallback route).
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "fake_nyxid_process.hpp"
#include "host_fixture.hpp"
#include "open_access.hpp"
#include "render/chunker.hpp"
#include "render/text_units.hpp"

namespace {

using pbfake::fake_process;
using pbfake::wait_for;
using pbnyx::fake_nyxid;
using pbtest::host_fixture;
namespace json = boost::json;

std::string channel(const fake_nyxid& fake, const std::string& extra = {},
                    const std::string& id = "nx") {
  return "  - id: " + id +
         "\n    plugin: \"" PB_NYXID_PLUGIN "\"\n    agent: echo\n" PB_OPEN_ACCESS "    config: " +
         pbnyx::plugin_config(fake, extra) + "\n";
}

bool connected(host_fixture& h) {
  // Connected once the signing keys are loaded (OIDC discovery + JWKS).
  return wait_for([&] {
    return h.get("/v1/channels", pbtest::token).body.find("\"connected\"") != std::string::npos;
  });
}

struct running {
  fake_nyxid fake;
  std::unique_ptr<host_fixture> host;
  // `extra(fake)`: more keys of the config block (they may need the fake's key or slug).
  explicit running(std::function<std::string(const fake_nyxid&)> extra = {},
                   std::function<std::string(const fake_nyxid&)> more_channels = {}) {
    host = std::make_unique<host_fixture>(channel(fake, extra ? extra(fake) : std::string()) +
                                          (more_channels ? more_channels(fake) : std::string()));
    EXPECT_FALSE(host->base.empty()) << host->logs();
    EXPECT_TRUE(connected(*host)) << host->logs();
  }
  std::string hook() const { return host->base + "/hooks/nx"; }
  json::object inject(json::object f) { return fake.inject(hook(), std::move(f)); }
};

int64_t num(const json::value& v, const char* k) { return fake_process::num(v, k); }
std::string str(const json::value& v, const char* k) { return fake_process::str(v, k); }

// The reply requests made with one reply token (by its jti).
int replies_with_jti(const fake_nyxid& fake, const std::string& jti) {
  int n = 0;
  for (const auto& r : fake.requests("reply"))
    if (str(r, "jti") == jti && str(r, "credential") == "reply_token") ++n;
  return n;
}

TEST(NyxidE2E, LarkMessageGetsPlaceholderEditsAndFinalText) {
  running r;
  const std::string text = "hello from lark, streamed back by the echo agent in pieces";
  auto a = r.inject({{"platform", "lark"}, {"chat_type", "group"}, {"text", text}});
  EXPECT_EQ(num(a, "callback_status"), 202) << json::serialize(a);
  EXPECT_NE(str(a, "callback_body").find("accepted"), std::string::npos);
  ASSERT_TRUE(wait_for([&] {
    auto s = r.fake.sent();
    return s.size() == 1 && str(s[0], "text") == text;
  })) << json::serialize(r.fake.sent())
      << r.host->logs();
  auto s = r.fake.sent()[0];
  EXPECT_EQ(str(s, "inbound_message_id"), str(a, "message_id"));
  EXPECT_EQ(str(s, "credential"), "reply_token");
  EXPECT_GE(num(s, "edit_count"), 1);     // placeholder, then edits up to the final text
  EXPECT_NE(str(s, "first_text"), text);  // the placeholder was a preview
  // One /reply with the token; the edits went to /reply/update with the spent token.
  EXPECT_EQ(r.fake.requests("reply").size(), 1u);
  for (const auto& u : r.fake.requests("reply_update"))
    EXPECT_EQ(str(u, "credential"), "reply_token");
  // The token never reaches the operator log.
  const std::string token = str(a, "reply_token");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(r.host->logs().find(token), std::string::npos);
}

// NyxID delivers the same platform message again under a new NyxID message id (and a new
// platform message id): answered once. The same words with a new timestamp are answered again.
TEST(NyxidE2E, RepushUnderNewIdsIsAnsweredOnce) {
  running r;
  const int64_t t = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  json::object same{{"platform", "lark"},       {"chat_type", "dm"},
                    {"chat_id", "oc_repush"},   {"sender_id", "ou_repush"},
                    {"text", "answer me once"}, {"timestamp_ms", t}};
  auto first = r.inject(same);
  EXPECT_EQ(num(first, "callback_status"), 202) << json::serialize(first);
  ASSERT_TRUE(wait_for([&] { return r.fake.sent().size() == 1; })) << r.host->logs();
  auto again = r.inject(same);
  EXPECT_EQ(num(again, "callback_status"), 202) << json::serialize(again);  // acked
  ASSERT_NE(str(again, "message_id"), str(first, "message_id"));
  same["timestamp_ms"] = t + 60'000;
  r.inject(same);
  ASSERT_TRUE(wait_for([&] { return r.fake.sent().size() >= 2; })) << r.host->logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(r.fake.sent().size(), 2u) << json::serialize(r.fake.sent());
  EXPECT_NE(r.host->logs().find("repeats message"), std::string::npos);
}

TEST(NyxidE2E, AgentFailureEditsThePlaceholderNeverReusesTheToken) {
  running r;
  auto a =
      r.inject({{"platform", "lark"}, {"chat_type", "dm"}, {"text", "fail: boom after a bit"}});
  EXPECT_EQ(num(a, "callback_status"), 202);
  // The placeholder (the first delta) ends up holding the agent's error.
  ASSERT_TRUE(wait_for([&] {
    auto s = r.fake.sent();
    return s.size() == 1 && str(s[0], "text").find("told to fail") != std::string::npos;
  })) << json::serialize(r.fake.sent())
      << r.host->logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing else may follow
  auto s = r.fake.sent()[0];
  EXPECT_GE(num(s, "edit_count"), 1);
  EXPECT_NE(str(s, "first_text"), str(s, "text"));
  EXPECT_EQ(r.fake.sent().size(), 1u);  // the error went into the placeholder, not a new message
  const std::string jti = str(s, "jti");
  ASSERT_FALSE(jti.empty());
  EXPECT_EQ(replies_with_jti(r.fake, jti), 1);
  EXPECT_EQ(r.fake.requests("reply").size(), 1u);
}

// The error edit fails too: the placeholder's text stands, the turn is terminal, and neither a
// redelivered callback nor a host restart sends anything again.
TEST(NyxidE2E, FailedErrorEditLeavesThePlaceholderAndNothingIsResent) {
  running r;
  r.fake.fault({{"kind", "status"},
                {"endpoint", "reply_update"},
                {"status", 400},
                {"error", "validation_error"},
                {"count", -1}});
  auto a = r.inject({{"platform", "lark"}, {"chat_type", "group"}, {"text", "fail: twice"}});
  EXPECT_EQ(num(a, "callback_status"), 202);
  ASSERT_TRUE(wait_for([&] {
    return r.fake.sent().size() == 1 && !r.fake.requests("reply_update").empty();
  })) << r.host->logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto s = r.fake.sent()[0];
  EXPECT_EQ(str(s, "text"), str(s, "first_text"));  // the last flushed text stands
  EXPECT_EQ(num(s, "edit_count"), 0);
  // NyxID redelivers the same callback: refused as a replay (same jti); nothing re-sent.
  auto again = r.fake.call("POST", "/_fake/redeliver", {{"message_id", str(a, "message_id")}});
  EXPECT_EQ(num(again, "callback_status"), 401) << json::serialize(again);
  // NyxID retries the message as a new delivery (fresh jti, same message id): accepted as a
  // duplicate (the host dedups by message id), nothing re-sent.
  auto retry = r.inject({{"platform", "lark"},
                         {"chat_type", "group"},
                         {"text", "fail: twice"},
                         {"message_id", str(a, "message_id")}});
  EXPECT_EQ(num(retry, "callback_status"), 202) << json::serialize(retry);
  // A restart of the host: the turn is terminal, nothing goes out again.
  r.host->proc.reset();
  r.host->launch();
  ASSERT_TRUE(connected(*r.host)) << r.host->logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(r.fake.sent().size(), 1u);
  EXPECT_EQ(r.fake.requests("reply").size(), 1u);
}

std::string with_api_key(const fake_nyxid& f) { return "api_key: \"" + f.api_key() + "\""; }
std::string with_proxy(const fake_nyxid& f) {
  return "proxy_api_key: \"" + f.api_key() + "\", proxy_slug: \"" + f.slug() + "\"";
}

TEST(NyxidE2E, Reply502NeverRetriedWithTheToken) {
  running r(with_api_key);
  fake_nyxid& fake = r.fake;
  host_fixture& h = *r.host;
  fake.fault({{"kind", "platform_error"}, {"endpoint", "reply"}, {"count", 1}});
  auto a = fake.inject(h.base + "/hooks/nx",
                       {{"platform", "telegram"}, {"chat_type", "dm"}, {"text", "hi 502"}});
  EXPECT_EQ(num(a, "callback_status"), 202);
  // The 502 burnt the token; the renderer's one retry goes without it, with the api key.
  ASSERT_TRUE(wait_for([&] { return fake.requests("reply").size() >= 2; })) << h.logs();
  auto reqs = fake.requests("reply");
  ASSERT_GE(reqs.size(), 2u);
  EXPECT_EQ(str(reqs[0], "credential"), "reply_token");
  EXPECT_EQ(num(reqs[0], "status"), 502);
  const std::string jti = str(reqs[0], "jti");
  EXPECT_EQ(replies_with_jti(fake, jti), 1);
  for (size_t i = 1; i < reqs.size(); ++i) EXPECT_EQ(str(reqs[i], "credential"), "api_key");
  ASSERT_TRUE(wait_for([&] { return fake.sent().size() == 1; }));
  EXPECT_EQ(str(fake.sent()[0], "text"), "hi 502");
  EXPECT_EQ(str(fake.sent()[0], "credential"), "api_key");
}

TEST(NyxidE2E, Reply502WithoutApiKeyIsUndeliverableNotRetried) {
  running r;
  r.fake.fault({{"kind", "platform_error"}, {"endpoint", "reply"}, {"count", 1}});
  auto a = r.inject({{"platform", "telegram"}, {"chat_type", "dm"}, {"text", "hi again"}});
  EXPECT_EQ(num(a, "callback_status"), 202);
  const std::string log = r.host->wait_for_log("no api_key configured");
  EXPECT_NE(log.find("no api_key configured"), std::string::npos) << log;
  EXPECT_EQ(r.fake.requests("reply").size(), 1u);
  EXPECT_TRUE(r.fake.sent().empty());
}

TEST(NyxidE2E, TelegramGetsNoEditsAndOneFinalMessage) {
  running r;
  const std::string text = "telegram cannot edit through the relay, so one message";
  auto a = r.inject({{"platform", "telegram"}, {"chat_type", "group"}, {"text", text}});
  EXPECT_EQ(num(a, "callback_status"), 202);
  ASSERT_TRUE(wait_for([&] { return r.fake.sent().size() == 1; })) << r.host->logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing else may follow
  auto s = r.fake.sent()[0];
  EXPECT_EQ(str(s, "text"), text);
  EXPECT_EQ(num(s, "edit_count"), 0);
  EXPECT_TRUE(r.fake.requests("reply_update").empty());
  EXPECT_EQ(r.fake.sent().size(), 1u);
}

TEST(NyxidE2E, EveryForgedCallbackIsRefusedAndNothingDispatched) {
  running r;
  // One genuine message first: its jti is what duplicate_jti replays.
  auto ok = r.inject({{"platform", "lark"}, {"chat_type", "group"}, {"text", "genuine"}});
  ASSERT_EQ(num(ok, "callback_status"), 202);
  // duplicate_jti replays the jti of the callback injected just before: the genuine one.
  for (const char* forge : {"duplicate_jti", "expired", "wrong_audience", "body_altered",
                            "unknown_kid", "wrong_message_id", "claim_message_id", "wrong_issuer",
                            "bad_signature", "jti_mismatch", "missing_token"}) {
    auto a = r.inject(
        {{"platform", "lark"}, {"chat_type", "group"}, {"text", "forged"}, {"forge", forge}});
    EXPECT_EQ(num(a, "callback_status"), 401) << forge << ": " << json::serialize(a);
  }
  ASSERT_TRUE(wait_for([&] { return r.fake.sent().size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto sent = r.fake.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(str(sent[0], "inbound_message_id"), str(ok, "message_id"));
  const std::string log = r.host->logs();
  EXPECT_NE(log.find("refused (401, token expired)"), std::string::npos) << log;
  EXPECT_NE(log.find("jti replayed"), std::string::npos);
  EXPECT_NE(log.find("unknown kid"), std::string::npos);
  EXPECT_NE(log.find("body_sha256 mismatch"), std::string::npos);
}

// Every record the proxy kept for `slug`, in order.
std::vector<json::value> proxied(const fake_nyxid& fake, const std::string& slug) {
  std::vector<json::value> out;
  for (const auto& p : fake.proxy_sent()) {
    const auto& req = p.as_object().if_contains("req");
    std::string s = str(p, "slug");
    if (s.empty() && req) s = str(*req, "slug");
    if (s == slug) out.push_back(p);
  }
  return out;
}

// A 3 MB report (POST /v1/messages takes up to 4 MiB of text) arrives whole as ≥ 100 parts of
// Lark's 30000 characters, each within the limit, joined equal to the original.
TEST(NyxidE2E, ProxySendOfALargeReportArrivesWholeInParts) {
  running r(with_proxy);
  std::string report;
  for (int i = 0; report.size() < 3'000'000; ++i)
    report += "line " + std::to_string(i) + ": the quick brown fox jumps over the lazy dog" +
              (i % 7 == 6 ? "\n\n" : "\n");
  json::object body{{"channel", "nx"}, {"conversation", "oc_report_chat"}, {"text", report}};
  auto resp = r.host->post("/v1/messages", json::serialize(body));
  ASSERT_EQ(resp.status, 200u) << resp.body << r.host->logs();
  const auto v = json::parse(resp.body);
  const int64_t parts = num(v, "parts");
  EXPECT_GE(parts, 100);
  auto sent = proxied(r.fake, r.fake.slug());
  ASSERT_EQ(static_cast<int64_t>(sent.size()), parts);
  std::vector<std::string> texts;
  for (const auto& p : sent) {
    EXPECT_EQ(num(p, "status"), 200);
    EXPECT_EQ(str(p, "receive_id_type"), "chat_id");
    EXPECT_EQ(str(p, "receive_id"), "oc_report_chat");
    texts.push_back(str(p, "text"));
    EXPECT_LE(patchbay::render::measure(texts.back(), PB_UNIT_CODEPOINTS), 30000u);
  }
  auto joined = patchbay::render::strip_markers(texts);
  ASSERT_TRUE(joined.has_value());
  EXPECT_EQ(*joined, report);
}

// Each NyxID slug is one channel instance: "nx" sends through the primary slug, "nx2" through
// the bot the user can be reached by. The primary answers 400 99992364 (cross tenant): the caller
// gets that error, and the failure notice goes through the fallback route.
TEST(NyxidE2E, CrossTenantRejectionSendsTheNoticeThroughTheFallbackRoute) {
  running r(with_proxy, [](const fake_nyxid& f) {
    return channel(f, "proxy_api_key: \"" + f.api_key() + "\", proxy_slug: \"other-bot\"", "nx2");
  });
  r.fake.call(
      "POST", "/_fake/fault",
      {{"kind", "proxy"}, {"preset", "cross_tenant"}, {"slug", r.fake.slug()}, {"count", -1}});
  json::object body{{"channel", "nx"},
                    {"conversation", "oc_primary"},
                    {"text", "daily report"},
                    {"job", "daily report"},
                    {"fallbacks", json::array{json::object{{"channel", "nx2"},
                                                           {"conversation", "oc_fallback"}}}}};
  auto resp = r.host->post("/v1/messages", json::serialize(body));
  EXPECT_GE(resp.status, 400u) << resp.body;  // the primary's own error, by class
  EXPECT_NE(resp.body.find("99992364"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("rejected"), std::string::npos) << resp.body;
  ASSERT_TRUE(wait_for([&] { return !proxied(r.fake, "other-bot").empty(); }))
      << json::serialize(r.fake.proxy_sent()) << r.host->logs();
  auto fb = proxied(r.fake, "other-bot");
  ASSERT_EQ(fb.size(), 1u);
  EXPECT_EQ(num(fb[0], "status"), 200);
  EXPECT_EQ(str(fb[0], "receive_id"), "oc_fallback");
  EXPECT_NE(str(fb[0], "text").find("daily report"), std::string::npos) << str(fb[0], "text");
  // The primary was tried once with the report (no retry of a structural rejection) and the
  // notice, first success wins, never reached it.
  auto primary = proxied(r.fake, r.fake.slug());
  ASSERT_EQ(primary.size(), 1u) << json::serialize(r.fake.proxy_sent());
  EXPECT_EQ(num(primary[0], "code"), 99992364);
  const std::string log = r.host->logs();
  EXPECT_NE(log.find("99992364"), std::string::npos);
  EXPECT_EQ(log.find(r.fake.api_key()), std::string::npos);  // no key in any log line
}

// A Lark conversation whose relay refuses edits (501 edit_unsupported) mid-turn: the host stops
// editing and the rest of the answer goes out as one final message, with the API key (the reply
// token is spent): nothing lost, the token used once.
TEST(NyxidE2E, EditUnsupportedMidTurnSendsTheRestAsOneFinalMessage) {
  running r(with_api_key);
  r.fake.fault({{"kind", "status"},
                {"endpoint", "reply_update"},
                {"status", 501},
                {"error", "edit_unsupported"},
                {"error_code", 10007},
                {"message", "Channel platform does not support message edits"},
                {"count", -1}});
  const std::string text = "one two three four five six seven eight nine ten eleven twelve";
  auto a = r.inject({{"platform", "lark"}, {"chat_type", "dm"}, {"text", text}});
  EXPECT_EQ(num(a, "callback_status"), 202);
  ASSERT_TRUE(wait_for([&] { return r.fake.sent().size() == 2; }))
      << json::serialize(r.fake.sent()) << r.host->logs();
  auto s = r.fake.sent();
  EXPECT_EQ(str(s[0], "credential"), "reply_token");
  EXPECT_EQ(num(s[0], "edit_count"), 0);  // every edit was refused
  EXPECT_EQ(str(s[1], "credential"), "api_key");
  EXPECT_EQ(str(s[0], "text") + str(s[1], "text"), text);
  EXPECT_EQ(replies_with_jti(r.fake, str(r.fake.requests("reply")[0], "jti")), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(r.fake.sent().size(), 2u);  // and nothing else
}

// Both the primary and the fallback route reject: every failure is logged and swallowed, and the
// caller still gets the primary's own error.
TEST(NyxidE2E, BothRoutesRejectingAreSwallowedAndTheCallerKeepsItsError) {
  running r(with_proxy, [](const fake_nyxid& f) {
    return channel(f, "proxy_api_key: \"" + f.api_key() + "\", proxy_slug: \"other-bot\"", "nx2");
  });
  r.fake.call(
      "POST", "/_fake/fault",
      {{"kind", "proxy"}, {"preset", "cross_tenant"}, {"slug", r.fake.slug()}, {"count", -1}});
  r.fake.call("POST", "/_fake/fault",
              {{"kind", "proxy"}, {"preset", "cross_app"}, {"slug", "other-bot"}, {"count", -1}});
  json::object body{{"channel", "nx"},
                    {"conversation", "oc_primary"},
                    {"text", "weekly report"},
                    {"job", "weekly report"},
                    {"fallbacks", json::array{json::object{{"channel", "nx2"},
                                                           {"conversation", "oc_fallback"}}}}};
  auto resp = r.host->post("/v1/messages", json::serialize(body));
  EXPECT_EQ(resp.status, 502u) << resp.body;  // rejected by the platform, as for one route
  EXPECT_NE(resp.body.find("rejected"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("99992364"), std::string::npos) << resp.body;  // the primary's
  ASSERT_TRUE(wait_for([&] { return !proxied(r.fake, "other-bot").empty(); })) << r.host->logs();
  EXPECT_EQ(num(proxied(r.fake, "other-bot")[0], "code"), 99992361);
  // Each failed notice route is logged, then the end of the plan.
  const std::string log = r.host->wait_for_log("the failure notice reached no route");
  EXPECT_NE(log.find("99992361"), std::string::npos) << log;
  EXPECT_NE(log.find("the failure notice reached no route"), std::string::npos) << log;
  EXPECT_EQ(r.host->proc->wait(std::chrono::milliseconds(0)), -1);  // and the host lives on
}

// Two channels whose proxy slugs are equal ignoring case are one route to NyxID: after the
// primary rejected a send, the failure notice is not sent through the same slug again.
TEST(NyxidE2E, SlugsEqualIgnoringCaseAreTriedOnce) {
  running r(with_proxy, [](const fake_nyxid& f) {
    std::string upper = f.slug();
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return channel(f, "proxy_api_key: \"" + f.api_key() + "\", proxy_slug: \"" + upper + "\"",
                   "nx2");
  });
  r.fake.call(
      "POST", "/_fake/fault",
      {{"kind", "proxy"}, {"preset", "cross_tenant"}, {"slug", r.fake.slug()}, {"count", -1}});
  json::object body{
      {"channel", "nx"},
      {"conversation", "oc_same"},
      {"text", "monthly report"},
      {"fallbacks", json::array{json::object{{"channel", "nx2"}, {"conversation", "oc_same"}}}}};
  auto resp = r.host->post("/v1/messages", json::serialize(body));
  EXPECT_GE(resp.status, 400u) << resp.body;
  const std::string log = r.host->wait_for_log("the failure notice reached no route");
  EXPECT_NE(log.find("the failure notice reached no route"), std::string::npos) << log;
  EXPECT_EQ(r.fake.proxy_sent().size(), 1u) << json::serialize(r.fake.proxy_sent());
}

}  // namespace
