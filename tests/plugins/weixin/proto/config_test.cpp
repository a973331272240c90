// Channel config validation: clear errors that name keys, never values (the token is a secret).
#include <gtest/gtest.h>

#include <stdexcept>

#include "weixin/proto/weixin_config.hpp"

namespace {
using namespace patchbay::weixin;
constexpr const char* secret = "s3cr3t-T0KEN-value";

std::string error_of(const std::string& json) {
  try {
    parse_config(json, "0.1.0");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(WeixinConfig, MinimalConfigGetsDefaults) {
  auto c = parse_config(R"({"bot_token":"  tok  ","account_id":"abc@im.bot"})", "0.1.0");
  EXPECT_EQ(c.bot_token, "tok");  // trimmed, as the reference client does
  EXPECT_EQ(c.base_url, "https://ilinkai.weixin.qq.com/");
  EXPECT_EQ(c.account_id, "abc@im.bot");
  EXPECT_EQ(c.longpolling_timeout.count(), 35'000);
  EXPECT_EQ(c.guard.session_initial.count(), 5'000);
  EXPECT_EQ(c.guard.session_max.count(), 300'000);
  EXPECT_EQ(c.notify_start_timeout.count(), 10'000);
  EXPECT_EQ(c.identity.channel_version, "0.1.0");
  EXPECT_EQ(c.identity.bot_agent, "patchbay/0.1.0");
  EXPECT_EQ(c.identity.app_id, "bot");
  EXPECT_TRUE(c.typing);
}

TEST(WeixinConfig, EveryOptionIsRead) {
  auto c = parse_config(R"({"bot_token":"t","base_url":"http://127.0.0.1:9/","route_tag":7,
      "longpolling_timeout_ms":2000,"session_backoff_initial_ms":100,"session_backoff_max_ms":800,
      "retry_backoff_initial_ms":50,"retry_backoff_max_ms":400,"relogin_after_ms":1000,
      "notify_start_timeout_ms":500,"notify_stop_timeout_ms":300,"send_timeout_ms":700,
      "connect_timeout_ms":200,"dedup_capacity":16,"context_token_capacity":8,"typing":false,
      "bot_agent":"X/1","channel_version":"2.4.9","app_id":"bot","ca_file":"/tmp/ca.pem",
      "user_id":"u@im.wechat"})",
                        "0.1.0");
  EXPECT_EQ(c.base_url, "http://127.0.0.1:9/");
  EXPECT_EQ(c.identity.route_tag, "7");
  EXPECT_EQ(c.longpolling_timeout.count(), 2000);
  EXPECT_EQ(c.guard.session_initial.count(), 100);
  EXPECT_EQ(c.guard.session_max.count(), 800);
  EXPECT_EQ(c.guard.retry_initial.count(), 50);
  EXPECT_EQ(c.guard.retry_max.count(), 400);
  EXPECT_EQ(c.guard.relogin_after.count(), 1000);
  EXPECT_EQ(c.notify_start_timeout.count(), 500);
  EXPECT_EQ(c.notify_stop_timeout.count(), 300);
  EXPECT_EQ(c.send_timeout.count(), 700);
  EXPECT_EQ(c.connect_timeout.count(), 200);
  EXPECT_EQ(c.dedup_capacity, 16u);
  EXPECT_EQ(c.context_token_capacity, 8u);
  EXPECT_FALSE(c.typing);
  EXPECT_EQ(c.identity.bot_agent, "X/1");
  EXPECT_EQ(c.identity.channel_version, "2.4.9");
  EXPECT_EQ(c.ca_file, "/tmp/ca.pem");
  EXPECT_EQ(c.user_id, "u@im.wechat");
}

TEST(WeixinConfig, CredentialsFileSuppliesTheLoginAndExplicitKeysWin) {
  auto c = parse_config(
      R"({"credentials":"{\"bot_token\":\"ft\",\"base_url\":\"http://127.0.0.1:5\",\"account_id\":\"a@im.bot\",\"user_id\":\"u@im.wechat\"}",
          "account_id":"override@im.bot"})",
      "0.1.0");
  EXPECT_EQ(c.bot_token, "ft");
  EXPECT_EQ(c.base_url, "http://127.0.0.1:5/");
  EXPECT_EQ(c.account_id, "override@im.bot");
  EXPECT_EQ(c.user_id, "u@im.wechat");
  EXPECT_NE(error_of(R"({"credentials":"not json"})").find("credentials"), std::string::npos);
}

TEST(WeixinConfig, ErrorsNameTheKeyAndNeverTheToken) {
  const std::string tok = std::string("\"bot_token\":\"") + secret + "\"";
  struct tc {
    std::string json, needle;
  } cases[] = {
      {"[]", "JSON object"},
      {"{}", "bot_token is required"},
      {R"({"bot_token":""})", "bot_token is required"},
      {R"({"bot_token":"a b"})", "bot_token must not contain"},
      {R"({"bot_token":5})", "bot_token must be a string"},
      {"{" + tok + R"(,"base_url":"ftp://x"})", "base_url must start with http"},
      {"{" + tok + R"(,"bogus":1})", "unknown config key 'bogus'"},
      {"{" + tok + R"(,"longpolling_timeout_ms":10})", "longpolling_timeout_ms must be between"},
      {"{" + tok + R"(,"longpolling_timeout_ms":"35000"})", "must be an integer"},
      {"{" + tok + R"(,"session_backoff_initial_ms":500,"session_backoff_max_ms":100})",
       "session_backoff_max_ms must not be below"},
      {"{" + tok + R"(,"typing":"yes"})", "typing must be true or false"},
      {"{" + tok + R"(,"route_tag":[1]})", "route_tag must be a string or an integer"},
  };
  for (const auto& c : cases) {
    std::string e = error_of(c.json);
    EXPECT_NE(e.find(c.needle), std::string::npos) << c.json << " → " << e;
    EXPECT_EQ(e.find(secret), std::string::npos) << e;
  }
}

}  // namespace
