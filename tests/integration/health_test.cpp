// Honest channel health in a real `patchbay run` with the "good" test plugin: outbound auth
// failures are evidence (degraded with the reason until a send works), the watchdog turns a
// `connected` report without a sign of life into `degraded` (warning logged, 503 on
// /healthz/channels past the grace, error logged every report interval), an inbound event
// brings it back, and `patchbay status` shows it as a table (raw JSON with --json).
#include <boost/json.hpp>

#include "host_fixture.hpp"
#include "open_access.hpp"

namespace {
using namespace pbtest;
namespace json = boost::json;

json::object channel(host_fixture& h, const std::string& id = "ch") {
  auto v = json::parse(h.get("/v1/channels", token).body);
  for (const auto& c : v.at("channels").as_array())
    if (c.at("id").as_string() == id) return c.as_object();
  return {};
}
std::string state(host_fixture& h) {
  auto c = channel(h);
  return c.contains("state") ? std::string(c.at("state").as_string()) : std::string();
}
template <class Pred>
bool eventually(Pred p, int tries = 1000) {
  for (int i = 0; i < tries; ++i) {
    if (p()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return p();
}

TEST(Health, AuthFailuresDegradeTheChannelUntilASendWorks) {
  host_fixture h("  - id: ch\n    plugin: good\n    agent: echo\n" PB_OPEN_ACCESS
                 "    config: {}\n");
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  ASSERT_EQ(state(h), "connected");
  for (int i = 0; i < 3; ++i) {
    auto r =
        h.post("/v1/messages", R"({"channel":"ch","conversation":"noauth-1","text":"report"})");
    EXPECT_NE(r.status, 200u) << r.body;
  }
  auto c = channel(h);
  EXPECT_EQ(c.at("state").as_string(), "degraded");
  EXPECT_EQ(c.at("reason").as_string(),
            "platform refuses our credentials: token refused by the platform");
  EXPECT_EQ(c.at("reported_state").as_string(), "connected");
  EXPECT_GE(c.at("outbound").at("sends").at("auth").to_number<int64_t>(), 3);
  EXPECT_EQ(c.at("outbound").at("in_flight").to_number<int64_t>(), 0);

  // The table shows it; --json keeps the raw answer.
  chat_result t;
  t.rc = run_command({PB_PATCHBAY_BIN, "status", "--url", h.base}, t.out, t.err,
                     {{"PATCHBAY_TOKEN", token}});
  EXPECT_EQ(t.rc, 0) << t.err;
  EXPECT_EQ(t.out.rfind("CHANNEL", 0), 0u) << t.out;
  EXPECT_NE(t.out.find("degraded"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("platform refuses our credentials"), std::string::npos) << t.out;
  chat_result j;
  j.rc = run_command({PB_PATCHBAY_BIN, "status", "--json", "--url", h.base}, j.out, j.err,
                     {{"PATCHBAY_TOKEN", token}});
  EXPECT_EQ(j.rc, 0) << j.err;
  EXPECT_EQ(json::parse(j.out).at("channels").as_array().size(), 1u);

  auto ok = h.post("/v1/messages", R"({"channel":"ch","conversation":"c1","text":"hello"})");
  EXPECT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(state(h), "connected");
}

TEST(Health, NoSignOfLifeIsDegradedThenUnhealthyAndLoggedUntilAnEventArrives) {
  host_fixture h("  - id: ch\n    plugin: good\n    agent: echo\n" PB_OPEN_ACCESS
                 "    config: {liveness_window_ms: 800}\n",
                 "  echo: { type: echo }\n",
                 "  health: { channel_grace_ms: 1500, report_interval_ms: 1000 }\n");
  ASSERT_TRUE(h.wait_status("/readyz", 200)) << h.logs();
  ASSERT_TRUE(eventually([&] { return state(h) == "degraded"; })) << h.logs();
  auto c = channel(h);
  EXPECT_EQ(c.at("liveness_window_ms").to_number<int64_t>(), 800);
  EXPECT_NE(std::string(c.at("reason").as_string()).find("no sign of life"), std::string::npos);
  std::string log = h.wait_for_log("degraded although its plugin reports connected");
  EXPECT_NE(log.find("degraded although its plugin reports connected"), std::string::npos) << log;

  ASSERT_TRUE(h.wait_status("/healthz/channels", 503)) << h.logs();
  log = h.wait_for_log("channel ch is not working");
  EXPECT_NE(log.find("channel ch is not working: degraded"), std::string::npos) << log;
  // Never quiet: logged again after report_interval_ms (1 s).
  EXPECT_TRUE(eventually([&] {
    const std::string l = h.logs();
    size_t n = 0;
    for (auto p = l.find("channel ch is not working"); p != std::string::npos;
         p = l.find("channel ch is not working", p + 1))
      ++n;
    return n >= 2;
  }));
  EXPECT_NE(h.get("/healthz").status, 503u);  // the process itself is fine

  // An accepted inbound event is a sign of life.
  patchbay::kit::http_client_request req;
  req.method = "POST";
  req.url = h.base + "/hooks/ch/emit";
  req.headers.emplace_back("X-Event", "evt-life");
  req.body = "hello";
  req.total_timeout = 10s;
  std::string err;
  patchbay::kit::http_client_response resp;
  patchbay::kit::http_fetch_blocking(req, err, resp);
  ASSERT_EQ(err, "");
  EXPECT_EQ(resp.status, 202u) << resp.body;
  EXPECT_TRUE(eventually([&] { return state(h) == "connected"; })) << h.logs();
  auto after = channel(h);
  EXPECT_GT(after.at("last_inbound_unix_ms").to_number<int64_t>(), 0);
  EXPECT_EQ(after.at("inbound_last_minute").to_number<int64_t>(), 1);
  EXPECT_TRUE(h.wait_status("/healthz/channels", 200));
}

}  // namespace
