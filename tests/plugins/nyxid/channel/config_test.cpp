// The NyxID channel's config block: defaults, ranges, pairs, and errors that never echo a value.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "nyxid/channel/nyxid_config.hpp"

namespace nx = patchbay::plugins::nyxid;

namespace {

std::string error_of(const std::string& json) {
  try {
    nx::parse_config(json);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST(NyxidConfig, MinimalGetsDefaults) {
  auto c = nx::parse_config(R"({"base_url":"https://nyx.example/"})");
  EXPECT_EQ(c.base_url, "https://nyx.example");
  EXPECT_EQ(c.audience, "channel-relay/callback");
  EXPECT_TRUE(c.api_key.empty());
  EXPECT_FALSE(c.has_proxy());
  EXPECT_EQ(c.request_timeout.count(), 15000);
  EXPECT_LE(c.keys_timeout.count(), 4500);
  EXPECT_EQ(c.replay_window_ms, 360000);
  EXPECT_EQ(c.jwks_refetch_interval_ms, 10000);
  EXPECT_TRUE(c.require_timestamp);
  EXPECT_EQ(c.fallback_receive_id_type, "union_id");
}

TEST(NyxidConfig, EveryKeyRead) {
  auto c = nx::parse_config(R"({"base_url":"http://127.0.0.1:9","api_key":"nyxid_ag_k1",
    "proxy_api_key":"nyxid_px_k2","proxy_slug":"api-lark-bot","issuer":"https://iss",
    "audience":"aud-x","api_key_id":"key-1","ca_file":"/tmp/ca.pem","connect_timeout_ms":1000,
    "request_timeout_ms":2000,"keys_timeout_ms":3000,"jwks_refetch_interval_ms":2000,"replay_window_ms":400000,
    "replay_capacity":500,"spent_token_capacity":64,"pending_callbacks":8,
    "timestamp_max_age_ms":60000,"require_timestamp":false,"fallback_receive_id_type":"open_id",
    "trust_route_private":true})");
  EXPECT_EQ(c.api_key, "nyxid_ag_k1");
  EXPECT_TRUE(c.has_proxy());
  EXPECT_EQ(c.proxy_slug, "api-lark-bot");
  EXPECT_EQ(c.issuer, "https://iss");
  EXPECT_EQ(c.audience, "aud-x");
  EXPECT_EQ(c.api_key_id, "key-1");
  EXPECT_EQ(c.connect_timeout.count(), 1000);
  EXPECT_EQ(c.request_timeout.count(), 2000);
  EXPECT_EQ(c.keys_timeout.count(), 3000);
  EXPECT_EQ(c.jwks_refetch_interval_ms, 2000);
  EXPECT_EQ(c.replay_capacity, 500u);
  EXPECT_EQ(c.spent_token_capacity, 64u);
  EXPECT_EQ(c.pending_callbacks, 8u);
  EXPECT_FALSE(c.require_timestamp);
  EXPECT_EQ(c.fallback_receive_id_type, "open_id");
  EXPECT_TRUE(c.trust_route_private);
}

TEST(NyxidConfig, ErrorsNameTheKeyNeverTheValue) {
  EXPECT_NE(error_of(R"({})").find("base_url"), std::string::npos);
  EXPECT_NE(error_of(R"({"base_url":"ftp://x"})").find("base_url"), std::string::npos);
  EXPECT_NE(error_of("[1]").find("JSON object"), std::string::npos);
  // An unknown key is named (a typo must not silently drop a setting).
  EXPECT_NE(error_of(R"({"base_url":"https://x","apikey":"s3cr3t-value"})").find("apikey"),
            std::string::npos);
  // Secrets with blanks, half a proxy pair: the message never carries the value.
  for (const char* bad : {R"({"base_url":"https://x","api_key":"s3cr3t value"})",
                          R"({"base_url":"https://x","proxy_api_key":"s3cr3t-value"})",
                          R"({"base_url":"https://x","proxy_slug":"slug","api_key":5})"}) {
    const std::string e = error_of(bad);
    EXPECT_FALSE(e.empty()) << bad;
    EXPECT_EQ(e.find("s3cr3t"), std::string::npos) << e;
  }
  EXPECT_NE(error_of(R"({"base_url":"https://x","keys_timeout_ms":9000})").find("keys_timeout_ms"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"base_url":"https://x","replay_window_ms":1000})").find("replay_window"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"base_url":"https://x","proxy_slug":"a/b","proxy_api_key":"k"})")
                .find("proxy_slug"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"base_url":"https://x","fallback_receive_id_type":"phone"})")
                .find("fallback_receive_id_type"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"base_url":"https://x","audience":""})").find("audience"),
            std::string::npos);
}
