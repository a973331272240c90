// Endpoint discovery and handshake verdicts (docs/protocols/feishu-lark.md §2.1–2.2).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "feishu_lark/proto/endpoint.hpp"

namespace fam = patchbay::plugins::feishu_family;

namespace {

std::string ok_body(std::string_view url,
                    std::string_view config = R"({"ReconnectCount":-1,"ReconnectInterval":120,)"
                                              R"("ReconnectNonce":30,"PingInterval":120})") {
  return R"({"code":0,"msg":"ok","data":{"URL":")" + std::string(url) + R"(","ClientConfig":)" +
         std::string(config) + "}}";
}

}  // namespace

TEST(Endpoint, RequestBodyUsesPascalCaseKeys) {
  EXPECT_EQ(fam::endpoint_path, "/callback/ws/endpoint");
  EXPECT_EQ(boost::json::parse(fam::endpoint_request_body("cli_0123456789abcdef", "sec")),
            boost::json::parse(R"({"AppID":"cli_0123456789abcdef","AppSecret":"sec"})"));
}

TEST(Endpoint, SuccessGivesUrlIdsAndConfig) {
  const std::string url =
      "wss://msg-frontier.feishu.cn/ws/v2?fpid=493&aid=552564&device_id=7d1&access_key=ak&"
      "service_id=33554678&ticket=t1";
  const auto r = fam::parse_endpoint_response(
      200,
      ok_body(
          url,
          R"({"ReconnectCount":1,"ReconnectInterval":3,"ReconnectNonce":2,"PingInterval":15})"));
  ASSERT_EQ(r.outcome, fam::discovery_outcome::ok) << r.reason;
  EXPECT_EQ(r.url, url);
  EXPECT_EQ(r.device_id, "7d1");
  EXPECT_EQ(r.service_id, 33554678);
  EXPECT_EQ(r.config.ping_interval_s, 15);
  EXPECT_EQ(r.config.reconnect_count, 1);
  EXPECT_FALSE(r.config_defaulted);
}

TEST(Endpoint, QueryParamsAreFoundInAnyPosition) {
  // node-sdk misses the first parameter (it glues "wss://h/ws/v2?" onto its key); we do not.
  const std::string url = "wss://h/ws/v2?device_id=D%20x&service_id=7#frag";
  EXPECT_EQ(fam::query_param(url, "device_id"), "D x");
  EXPECT_EQ(fam::query_param(url, "service_id"), "7");
  EXPECT_FALSE(fam::query_param(url, "ticket"));
  EXPECT_FALSE(fam::query_param("wss://h/ws/v2", "device_id"));
  EXPECT_EQ(fam::query_param("ws://h/?a&b=&c=%zz", "a"), "");
  EXPECT_EQ(fam::query_param("ws://h/?a&b=&c=%zz", "b"), "");
  EXPECT_EQ(fam::query_param("ws://h/?a&b=&c=%zz", "c"), "%zz");
  const auto r = fam::parse_endpoint_response(200, ok_body("ws://127.0.0.1:1/ws?service_id=abc"));
  EXPECT_EQ(r.outcome, fam::discovery_outcome::ok);
  EXPECT_EQ(r.service_id, 0);  // unparsable: 0, as go-sdk (node: NaN → 0)
  EXPECT_EQ(r.device_id, "");
}

TEST(Endpoint, CodesAreClassified) {
  using fam::discovery_outcome;
  EXPECT_EQ(fam::classify_endpoint_code(0), discovery_outcome::ok);
  EXPECT_EQ(fam::classify_endpoint_code(1), discovery_outcome::retryable);
  EXPECT_EQ(fam::classify_endpoint_code(1000040343), discovery_outcome::retryable);
  for (int64_t c : {403, 514, 1000040344, 1000040345, 1000040350, 1000040351, 99})
    EXPECT_EQ(fam::classify_endpoint_code(c), discovery_outcome::fatal) << c;

  // Error bodies with and without `data` (node treats them differently; we do not).
  auto r = fam::parse_endpoint_response(200, R"({"code":1000040350,"msg":"limit","data":{}})");
  EXPECT_EQ(r.outcome, discovery_outcome::fatal);
  EXPECT_EQ(r.code, 1000040350);
  EXPECT_NE(r.reason.find("1000040350"), std::string::npos);
  r = fam::parse_endpoint_response(200, R"({"code":1000040350,"msg":"limit"})");
  EXPECT_EQ(r.outcome, discovery_outcome::fatal);
  r = fam::parse_endpoint_response(200, R"({"code":1,"msg":"system busy","data":null})");
  EXPECT_EQ(r.outcome, discovery_outcome::retryable);
  // Transport-level trouble is retryable.
  EXPECT_EQ(fam::parse_endpoint_response(502, "").outcome, discovery_outcome::retryable);
  EXPECT_EQ(fam::parse_endpoint_response(200, "<html>").outcome, discovery_outcome::retryable);
  EXPECT_EQ(fam::parse_endpoint_response(200, R"({"msg":"ok"})").outcome,
            discovery_outcome::retryable);
}

TEST(Endpoint, BadSuccessAnswers) {
  // No URL, or not a WebSocket URL: retryable (go-sdk: "endpoint is null").
  auto r = fam::parse_endpoint_response(200, R"({"code":0,"msg":"ok","data":{}})");
  EXPECT_EQ(r.outcome, fam::discovery_outcome::retryable);
  r = fam::parse_endpoint_response(200, ok_body("https://x/ws"));
  EXPECT_EQ(r.outcome, fam::discovery_outcome::retryable);
  // Missing or broken ClientConfig: connect with the defaults, say so.
  r = fam::parse_endpoint_response(
      200, R"({"code":0,"msg":"ok","data":{"URL":"wss://h/ws?service_id=1"}})");
  EXPECT_EQ(r.outcome, fam::discovery_outcome::ok);
  EXPECT_TRUE(r.config_defaulted);
  EXPECT_EQ(r.config, fam::client_config{});
  r = fam::parse_endpoint_response(200, ok_body("wss://h/ws", R"({"PingInterval":120})"));
  EXPECT_EQ(r.outcome, fam::discovery_outcome::ok);
  EXPECT_TRUE(r.config_defaulted);
  EXPECT_NE(r.reason.find("ReconnectCount"), std::string::npos);
}

TEST(Handshake, FatalOnlyForForbiddenAndConnectionLimit) {
  auto v = fam::classify_handshake_failure(403, "403", "forbidden", "");
  EXPECT_TRUE(v.fatal);
  v = fam::classify_handshake_failure(400, "514", "auth failed", "1000040350");
  EXPECT_TRUE(v.fatal);
  EXPECT_EQ(v.auth_code, 1000040350);
  EXPECT_NE(v.reason.find("1000040350"), std::string::npos);
  EXPECT_FALSE(fam::classify_handshake_failure(400, "514", "auth failed", "1").fatal);
  EXPECT_FALSE(fam::classify_handshake_failure(500, "", "", "").fatal);
  EXPECT_FALSE(fam::classify_handshake_failure(500, "x", "", "").fatal);
  EXPECT_EQ(fam::classify_handshake_failure(500, "x", "", "").handshake_status, 0);
}
