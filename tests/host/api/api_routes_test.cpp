// HTTP API routes without sockets: health, readiness transitions, a degraded state store, auth
// (the bearer scheme, the screen, the /metrics switch), metrics format, odd paths.
#include <gtest/gtest.h>

#include "../metrics/exposition_check.hpp"
#include "api/auth.hpp"
#include "api/routes.hpp"
#include "metrics/registry.hpp"
#include "state/store.hpp"

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

// A store whose only behaviour here is its problem() text (the routes read nothing else).
struct problem_store final : state::store {
  std::string why;
  std::optional<std::string> kv_get(const std::string&, const std::string&) override { return {}; }
  void kv_set(const std::string&, const std::string&, std::string, state::write_done) override {}
  void kv_delete(const std::string&, const std::string&, state::write_done) override {}
  void record_inbound(const std::string&, const std::string&, std::string,
                      state::inbound_done) override {}
  void record_fingerprint(const std::string&, const std::string&, state::inbound_done) override {}
  void save_turn(const state::turn_row&, state::write_done) override {}
  std::vector<state::turn_row> unfinished_turns() override { return {}; }
  state::outbound_queue& outbound() override { throw std::logic_error("not in this test"); }
  state::lease_table& leases() override { throw std::logic_error("not in this test"); }
  void kv_write_fenced(const std::string&, const std::string&, std::optional<std::string>,
                       state::fence, state::write_done) override {}
  void kv_reload(const std::string&) override {}
  void close() override {}
  std::string problem() const override { return why; }
};

TEST_F(ApiTest, ADegradedStateStoreShowsOnHealthAndReadinessWithItsReason) {
  problem_store st;
  ctx.store = &st;
  reg.set_startup_complete(true);
  reg.update("alpha", [](plugin::channel_status& c) { c.started = true; });
  auto h = api::handle_api_request(ctx, get("/healthz"));
  EXPECT_EQ(h.status, 200u);
  EXPECT_EQ(h.body.find("degraded"), std::string::npos);
  st.why = "cannot connect to PostgreSQL at db:5432/patchbay: connection refused";
  h = api::handle_api_request(ctx, get("/healthz"));
  EXPECT_EQ(h.status, 200u);  // alive: the process keeps serving what it can
  EXPECT_NE(h.body.find("\"status\":\"degraded\""), std::string::npos) << h.body;
  EXPECT_NE(h.body.find("db:5432/patchbay"), std::string::npos) << h.body;
  auto r = api::handle_api_request(ctx, get("/readyz"));
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("\"status\":\"degraded\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("connection refused"), std::string::npos) << r.body;
  st.why.clear();
  EXPECT_EQ(api::handle_api_request(ctx, get("/readyz")).body, "{\"ready\":true}");
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

TEST_F(ApiTest, MetricsCarryEveryStateAndTheRegistryCountsWellFormed) {
  metrics::registry counts;
  ctx.metrics = &counts;
  counts.channel("alpha")->inbound(metrics::inbound_outcome::accepted);
  counts.channel("alpha")->outbound("send", PB_ERR_RATE_LIMITED);
  counts.channel("alpha")->hook_answer(401);
  counts.turns().started.add();
  auto r = api::handle_api_request(ctx, get("/metrics"));
  ASSERT_EQ(r.status, 200u);
  const std::string& t = r.body;
  // The state gauge is 0/1 for every known state, so alerts can use `== 1`.
  EXPECT_NE(t.find("patchbay_channel_state{channel=\"alpha\",state=\"pending\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("patchbay_channel_state{channel=\"alpha\",state=\"connected\"} 0\n"),
            std::string::npos);
  EXPECT_NE(t.find("patchbay_channel_state{channel=\"off\",state=\"disabled\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("patchbay_inbound_total{channel=\"alpha\",outcome=\"accepted\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("patchbay_inbound_total{channel=\"off\",outcome=\"accepted\"} 0\n"),
            std::string::npos);
  EXPECT_NE(
      t.find("patchbay_outbound_total{channel=\"alpha\",kind=\"send\",class=\"rate_limited\"} 1\n"),
      std::string::npos);
  EXPECT_NE(t.find("patchbay_hook_requests_total{channel=\"alpha\",code=\"401\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("patchbay_turns_started_total 1\n"), std::string::npos);
  EXPECT_NE(t.find("patchbay_log_dropped_total "), std::string::npos);
  EXPECT_EQ(metrics_check::check_exposition(t), "") << t;
}

TEST_F(ApiTest, UnknownRouteAndWrongMethod) {
  EXPECT_EQ(api::handle_api_request(ctx, get("/nope")).status, 404u);
  auto post = get("/healthz");
  post.method = "POST";
  EXPECT_EQ(api::handle_api_request(ctx, post).status, 405u);
}

TEST_F(ApiTest, BearerSchemeIsCaseInsensitiveAndMayBeFollowedBySeveralSpaces) {
  const std::vector<std::string> tokens{"s3cret-token"};
  EXPECT_TRUE(api::bearer_authorized(tokens, "Bearer s3cret-token"));
  EXPECT_TRUE(api::bearer_authorized(tokens, "bearer s3cret-token"));
  EXPECT_TRUE(api::bearer_authorized(tokens, "BEARER s3cret-token"));
  EXPECT_TRUE(api::bearer_authorized(tokens, "Bearer   s3cret-token"));
  EXPECT_FALSE(api::bearer_authorized(tokens, "Bearer"));
  EXPECT_FALSE(api::bearer_authorized(tokens, "Bearer "));
  EXPECT_FALSE(api::bearer_authorized(tokens, "Bearers3cret-token"));
  EXPECT_FALSE(api::bearer_authorized(tokens, "Bearer\ts3cret-token"));
  EXPECT_FALSE(api::bearer_authorized(tokens, "Basic s3cret-token"));
  EXPECT_FALSE(api::bearer_authorized(tokens, "Bearer s3cret-token "));
  EXPECT_FALSE(api::bearer_authorized({""}, "Bearer "));
  EXPECT_EQ(api::handle_api_request(ctx, get("/v1/channels", "bearer  s3cret-token")).status, 200u);
}

TEST_F(ApiTest, ScreenRefusesV1WithoutTokenOnTheHeaderAlone) {
  auto screen = api::make_api_screen(ctx);
  auto post = get("/v1/messages");
  post.method = "POST";
  auto refused = screen(post);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 401u);
  EXPECT_EQ(kit::find_header(refused->headers, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(refused->body.find("s3cret"), std::string::npos);
  EXPECT_FALSE(screen(get("/v1/messages", "Bearer s3cret-token")).has_value());
  EXPECT_FALSE(screen(get("/healthz")).has_value());
  EXPECT_FALSE(screen(get("/hooks/alpha/events")).has_value());
  EXPECT_FALSE(screen(get("/metrics")).has_value());
  // Without tokens configured /v1/* is open.
  api::api_context open{reg, {}, std::chrono::steady_clock::now()};
  EXPECT_FALSE(api::make_api_screen(open)(post).has_value());
}

TEST_F(ApiTest, MetricsCanBePutBehindTheToken) {
  EXPECT_EQ(api::handle_api_request(ctx, get("/metrics")).status, 200u);  // default: open
  ctx.metrics_require_token = true;
  EXPECT_EQ(api::handle_api_request(ctx, get("/metrics")).status, 401u);
  EXPECT_TRUE(api::make_api_screen(ctx)(get("/metrics")).has_value());
  EXPECT_EQ(api::handle_api_request(ctx, get("/metrics", "Bearer wrong")).status, 401u);
  EXPECT_EQ(api::handle_api_request(ctx, get("/metrics", "Bearer s3cret-token")).status, 200u);
  EXPECT_EQ(api::handle_api_request(ctx, get("/healthz")).status, 200u);
}

TEST_F(ApiTest, OddPathsAreNotFoundOrNeedTheToken) {
  for (const char* path : {"//healthz", "/healthz/", "/HEALTHZ", "/healthz%00", "/./metrics",
                           "/metrics/../v1/channels", "*", "http://x/healthz"})
    EXPECT_EQ(api::handle_api_request(ctx, get(path)).status, 404u) << path;
  for (const char* path : {"/v1/../healthz", "/v1//channels", "/v1/%2e%2e/metrics"})
    EXPECT_EQ(api::handle_api_request(ctx, get(path)).status, 401u) << path;
  EXPECT_EQ(api::handle_api_request(ctx, get("/v1/../healthz", "Bearer s3cret-token")).status,
            404u);
}

}  // namespace
