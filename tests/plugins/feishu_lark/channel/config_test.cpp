// The Feishu/Lark channel config: defaults from the brand, validation with texts that name keys
// and never values (the block holds the app secret and the encrypt key), ranges, unknown keys.
#include <gtest/gtest.h>

#include <stdexcept>

#include "feishu_lark/proto/brand.hpp"
#include "feishu_lark/proto/channel_config.hpp"

namespace {
namespace fam = patchbay::plugins::feishu_family;

constexpr const char* kSecret = "S3cr3t-app-secret-value";
const fam::brand_defaults feishu{fam::feishu_platform, fam::feishu_domain,
                                 fam::transport_mode::websocket};
const fam::brand_defaults lark{fam::lark_platform, fam::lark_domain, fam::transport_mode::webhook};

std::string base(const std::string& extra = "") {
  return std::string(R"({"app_id":"cli_0123456789abcdef","app_secret":")") + kSecret + "\"" +
         extra + "}";
}

std::string error_of(const std::string& json, const fam::brand_defaults& b = feishu) {
  try {
    fam::parse_channel_config(json, b);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(FeishuConfig, MinimalConfigGetsTheBrandDefaults) {
  auto c = fam::parse_channel_config(base(), feishu);
  EXPECT_EQ(c.platform, "Feishu");
  EXPECT_EQ(c.app_id, "cli_0123456789abcdef");
  EXPECT_EQ(c.app_secret, kSecret);
  EXPECT_EQ(c.domain, "https://open.feishu.cn");
  EXPECT_EQ(c.mode, fam::transport_mode::websocket);
  EXPECT_TRUE(c.group_require_mention);
  EXPECT_EQ(c.dedup_ttl.count(), 12 * 3600 * 1000);
  EXPECT_EQ(c.dedup_capacity, 10000u);
  EXPECT_EQ(c.reconnect.initial.count(), 2000);
  EXPECT_DOUBLE_EQ(c.reconnect.factor, 1.8);
  EXPECT_EQ(c.reconnect.cap.count(), 60000);
  EXPECT_DOUBLE_EQ(c.reconnect.jitter, 0.2);
  EXPECT_EQ(c.stable_after.count(), 30000);
  EXPECT_EQ(c.fatal_retry.count(), 300000);
  EXPECT_EQ(c.liveness_margin.count(), 15000);
  EXPECT_EQ(c.fragment_timeout.count(), 10000);
  EXPECT_EQ(c.connect_timeout.count(), 10000);
  EXPECT_EQ(c.handshake_timeout.count(), 10000);
  EXPECT_EQ(c.api_timeout.count(), 15000);
  EXPECT_NEAR(c.limits.app.rate_per_s, 1000.0 / 60.0, 1e-9);
  EXPECT_DOUBLE_EQ(c.limits.app.burst, 50);
  EXPECT_DOUBLE_EQ(c.limits.chat.rate_per_s, 4);
  EXPECT_DOUBLE_EQ(c.limits.chat.burst, 4);
  EXPECT_EQ(c.webhook.max_skew_s, 300);
}

TEST(FeishuConfig, LarkDefaultsToWebhookModeAndNeedsAKeyOrToken) {
  const std::string err = error_of(base(), lark);
  EXPECT_NE(err.find("encrypt_key or verification_token"), std::string::npos) << err;
  auto c = fam::parse_channel_config(base(R"(,"encrypt_key":"ek-value")"), lark);
  EXPECT_EQ(c.mode, fam::transport_mode::webhook);
  EXPECT_EQ(c.domain, "https://open.larksuite.com");
  EXPECT_EQ(c.webhook.encrypt_key, "ek-value");
  EXPECT_EQ(c.platform, "Lark");
  // Lark may run over the WebSocket too.
  auto ws = fam::parse_channel_config(base(R"(,"mode":"websocket")"), lark);
  EXPECT_EQ(ws.mode, fam::transport_mode::websocket);
}

TEST(FeishuConfig, DomainNamesAndBaseUrls) {
  EXPECT_EQ(fam::parse_channel_config(base(R"(,"domain":"lark")"), feishu).domain,
            "https://open.larksuite.com");
  EXPECT_EQ(
      fam::parse_channel_config(base(R"(,"domain":"http://127.0.0.1:9000//")"), feishu).domain,
      "http://127.0.0.1:9000");
  EXPECT_NE(error_of(base(R"(,"domain":"ftp://x")")).find("domain"), std::string::npos);
  EXPECT_NE(error_of(base(R"(,"domain":"https://a b")")).find("domain"), std::string::npos);
}

TEST(FeishuConfig, EveryKeyIsRead) {
  auto c = fam::parse_channel_config(
      base(R"(,"mode":"webhook","verification_token":"vt","ca_file":"/tmp/ca.pem",
             "webhook_max_skew_s":60,"group_require_mention":false,"dedup_ttl_ms":90000000,
             "dedup_capacity":7,"reconnect_initial_ms":10,"reconnect_factor":2.5,
             "reconnect_max_ms":100,"reconnect_jitter":0,"stable_after_ms":50,
             "fatal_retry_ms":1000,"liveness_margin_ms":200,"fragment_timeout_ms":300,
             "connect_timeout_ms":400,"handshake_timeout_ms":500,"api_timeout_ms":600,
             "rate_app_per_minute":120,"rate_app_burst":3,"rate_chat_per_second":0.5,
             "rate_chat_burst":2)"),
      feishu);
  EXPECT_EQ(c.mode, fam::transport_mode::webhook);
  EXPECT_EQ(c.webhook.verification_token, "vt");
  EXPECT_EQ(c.ca_file, "/tmp/ca.pem");
  EXPECT_EQ(c.webhook.max_skew_s, 60);
  EXPECT_FALSE(c.group_require_mention);
  EXPECT_EQ(c.dedup_ttl.count(), 90000000);
  EXPECT_EQ(c.dedup_capacity, 7u);
  EXPECT_EQ(c.reconnect.initial.count(), 10);
  EXPECT_DOUBLE_EQ(c.reconnect.factor, 2.5);
  EXPECT_EQ(c.reconnect.cap.count(), 100);
  EXPECT_DOUBLE_EQ(c.reconnect.jitter, 0);
  EXPECT_EQ(c.stable_after.count(), 50);
  EXPECT_EQ(c.fatal_retry.count(), 1000);
  EXPECT_EQ(c.liveness_margin.count(), 200);
  EXPECT_EQ(c.fragment_timeout.count(), 300);
  EXPECT_EQ(c.connect_timeout.count(), 400);
  EXPECT_EQ(c.handshake_timeout.count(), 500);
  EXPECT_EQ(c.api_timeout.count(), 600);
  EXPECT_DOUBLE_EQ(c.limits.app.rate_per_s, 2);
  EXPECT_DOUBLE_EQ(c.limits.app.burst, 3);
  EXPECT_DOUBLE_EQ(c.limits.chat.rate_per_s, 0.5);
  EXPECT_DOUBLE_EQ(c.limits.chat.burst, 2);
}

TEST(FeishuConfig, RefusalsNameTheKeyAndNeverTheValue) {
  struct refusal {
    std::string json, key;
  } cases[] = {
      {R"({"app_secret":"S3cr3t-app-secret-value"})", "app_id"},
      {R"({"app_id":"cli_0123","app_secret":"S3cr3t-app-secret-value"})", "app_id"},
      {R"({"app_id":"cli_0123456789abcdef"})", "app_secret"},
      {base(R"(,"app_secret_typo":"S3cr3t-app-secret-value")"), "app_secret_typo"},
      {base(R"(,"mode":"S3cr3t-app-secret-value")"), "mode"},
      {base(R"(,"encrypt_key":42)"), "encrypt_key"},
      {base(R"(,"group_require_mention":"yes")"), "group_require_mention"},
      {base(R"(,"dedup_ttl_ms":10)"), "dedup_ttl_ms"},
      {base(R"(,"dedup_capacity":0)"), "dedup_capacity"},
      {base(R"(,"reconnect_factor":0.5)"), "reconnect_factor"},
      {base(R"(,"reconnect_jitter":1.5)"), "reconnect_jitter"},
      {base(R"(,"reconnect_initial_ms":5000,"reconnect_max_ms":1000)"), "reconnect_max_ms"},
      {base(R"(,"api_timeout_ms":-1)"), "api_timeout_ms"},
      {base(R"(,"api_timeout_ms":18446744073709551615)"), "api_timeout_ms"},
      {base(R"(,"rate_chat_per_second":"fast")"), "rate_chat_per_second"},
      {"[1,2]", "JSON object"},
      {"not json S3cr3t-app-secret-value", "JSON object"},
  };
  for (const auto& c : cases) {
    const std::string err = error_of(c.json);
    EXPECT_NE(err.find(c.key), std::string::npos) << c.json << " → " << err;
    EXPECT_EQ(err.find(kSecret), std::string::npos) << err;
  }
}

TEST(FeishuConfig, SecretsAreTrimmedAndBlanksRefused) {
  auto c = fam::parse_channel_config(
      R"({"app_id":" cli_0123456789ABCDEF ","app_secret":"  sec  "})", feishu);
  EXPECT_EQ(c.app_id, "cli_0123456789ABCDEF");
  EXPECT_EQ(c.app_secret, "sec");
  const std::string err =
      error_of(R"({"app_id":"cli_0123456789abcdef","app_secret":"a b S3cr3t-app-secret-value"})");
  EXPECT_NE(err.find("app_secret"), std::string::npos);
  EXPECT_EQ(err.find(kSecret), std::string::npos);
}

}  // namespace

namespace {
// render: card (the default for both brands) streams answers into CardKit cards; text keeps the
// edited text message; anything else is refused naming the key.
TEST(FeishuConfig, RenderIsCardByDefaultOrText) {
  EXPECT_EQ(fam::parse_channel_config(base(), feishu).render, fam::render_mode::card);
  EXPECT_EQ(fam::parse_channel_config(base(R"(,"encrypt_key":"ek")"), lark).render,
            fam::render_mode::card);
  EXPECT_EQ(fam::parse_channel_config(base(R"(,"render":"text")"), feishu).render,
            fam::render_mode::text);
  auto c = fam::parse_channel_config(base(R"(,"render":"card","card_states":16)"), feishu);
  EXPECT_EQ(c.render, fam::render_mode::card);
  EXPECT_EQ(c.card_states, 16u);
  EXPECT_NE(error_of(base(R"(,"render":"html")")).find("render"), std::string::npos);
  EXPECT_NE(error_of(base(R"(,"card_states":0)")).find("card_states"), std::string::npos);
}
}  // namespace
