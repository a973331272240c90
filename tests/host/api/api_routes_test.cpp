// HTTP API routes without sockets: health, readiness transitions, auth, metrics format.
#include <gtest/gtest.h>

#include "api/routes.hpp"

namespace {
using namespace patchbay;

kit::http_request get(const std::string& path, const std::string& auth = "") {
  kit::http_request r;
  r.method = "GET";
  r.target = r.path = path;
  if (!auth.empty()) r.headers.emplace_back("authorization", auth);
  return r;
}

struct ApiTest : ::testing::Test {
  plugin::status_board reg;
  api::api_context ctx{reg, {"s3cret-token"}, std::chrono::steady_clock::now()};
  void SetUp() override {
    plugin::channel_status a;
    a.id = "alpha";
    a.plugin = "good";
    reg.add(a);
    plugin::channel_status b;
    b.id = "off";
    b.enabled = false;
    b.state = plugin::channel_state::disabled;
    reg.add(b);
  }
};

TEST_F(ApiTest, HealthIsAlwaysOk) {
  EXPECT_EQ(api::handle_api_request(ctx, get("/healthz")).status, 200u);
}

TEST_F(ApiTest, ReadyOnlyWhenEveryEnabledChannelStarted) {
  auto r = api::handle_api_request(ctx, get("/readyz"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_NE(r.body.find("start-up in progress"), std::string::npos);
  reg.set_startup_complete(true);
  r = api::handle_api_request(ctx, get("/readyz"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_NE(r.body.find("alpha"), std::string::npos);
  EXPECT_EQ(r.body.find("off"), std::string::npos);  // disabled channels don't count
  reg.update("alpha", [](plugin::channel_status& c) { c.started = true; });
  EXPECT_EQ(api::handle_api_request(ctx, get("/readyz")).status, 200u);
}

TEST_F(ApiTest, ChannelsNeedTheBearerToken) {
  EXPECT_EQ(api::handle_api_request(ctx, get("/v1/channels")).status, 401u);
  EXPECT_EQ(api::handle_api_request(ctx, get("/v1/channels", "Bearer wrong")).status, 401u);
  EXPECT_EQ(api::handle_api_request(ctx, get("/v1/channels", "Bearer s3cret-tokenX")).status, 401u);
  auto r = api::handle_api_request(ctx, get("/v1/channels", "Bearer s3cret-token"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("\"id\":\"alpha\""), std::string::npos);
  EXPECT_EQ(r.body.find("s3cret"), std::string::npos);
}

TEST_F(ApiTest, MetricsArePrometheusText) {
  auto r = api::handle_api_request(ctx, get("/metrics"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u);
  EXPECT_NE(r.body.find("patchbay_channel_state{channel=\"alpha\",state=\"pending\"} 1"),
            std::string::npos);
  EXPECT_NE(r.body.find("# TYPE patchbay_inbound_total counter"), std::string::npos);
}

TEST_F(ApiTest, UnknownRouteAndWrongMethod) {
  EXPECT_EQ(api::handle_api_request(ctx, get("/nope")).status, 404u);
  auto post = get("/healthz");
  post.method = "POST";
  EXPECT_EQ(api::handle_api_request(ctx, post).status, 405u);
}

}  // namespace
