// Identity bindings in a real `patchbay run`: the `good` zoo plugin's channel uses
// `identity: nyxid` against patchbay-fake-nyxid, and its agent is an `http` agent with
// `auth: user_identity` served by this test (it records the Authorization it gets). A user binds
// with /init (link → fake broker → the host's /oauth/nyxid/callback), their turns carry their
// own token, a revoked binding heals itself (and /init then works), and nothing of the token
// reaches the host's log.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <mutex>
#include <regex>
#include <vector>

#include "fake_process.hpp"
#include "host_fixture.hpp"
#include "open_access.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace {
using namespace std::chrono_literals;
namespace json = boost::json;
namespace kit = patchbay::kit;

// The `http` agent's endpoint: answers every turn with one delta and done.
struct agent_server {
  agent_server()
      : server(rt, opts(), [this](std::shared_ptr<kit::http_exchange> ex) {
          const auto& req = ex->request();
          std::string turn;
          boost::system::error_code ec;
          auto v = json::parse(req.body, ec);
          if (!ec && v.is_object() && v.as_object().contains("turn"))
            turn = std::string(v.at("turn").as_string());
          {
            std::lock_guard lk(mu);
            authorizations.emplace_back(req.header("Authorization"));
            bodies.push_back(req.body);
          }
          kit::http_response r;
          r.content_type = "application/x-ndjson";
          r.body = json::serialize(json::object{{"turn", turn},
                                                {"delta", "agent answered with a user token"}}) +
                   "\n" + json::serialize(json::object{{"turn", turn}, {"done", true}}) + "\n";
          ex->respond(std::move(r));
        }) {
    server.start();
  }
  static kit::http_server_options opts() {
    kit::http_server_options o;
    o.listen = "127.0.0.1:0";
    return o;
  }
  std::size_t count() {
    std::lock_guard lk(mu);
    return authorizations.size();
  }
  kit::io_runtime rt{1};
  kit::http_server server;
  std::mutex mu;
  std::vector<std::string> authorizations, bodies;
};

std::size_t occurrences(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

class IdentityE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(fake.base_url.empty()) << fake.logs();
    // Tokens not cached (expires_in 0), so a revocation shows on the next turn.
    fake.call("POST", "/_fake/config", {{"exchange_ttl_s", 0}});
    const std::string client = pbfake::fake_process::str(fake.first_line, "oauth_client_id");
    host = std::make_unique<pbtest::host_fixture>(
        "  - id: chan\n    plugin: good\n    agent: user\n" PB_OPEN_ACCESS "    identity: nyxid\n",
        "  user: { type: http, url: \"http://" + agent.server.local_endpoint() +
            "/turn\", auth: user_identity }\n",
        "identity:\n  nyxid:\n    base_url: \"" + fake.base_url + "\"\n    client_id: \"" + client +
            "\"\n    redirect_uri: \"http://127.0.0.1:9/oauth/nyxid/callback\"\n"
            "    state_secret: \"${PB_IT_SECRET}\"\n    timeout_ms: 10000\n");
    ASSERT_FALSE(host->base.empty()) << host->logs();
    ASSERT_TRUE(host->wait_status("/readyz", 200)) << host->logs();
  }

  // The plugin's user writes `text` in a DM (the good plugin's /emit hook).
  void say(const std::string& text) {
    auto r =
        host->post("/hooks/chan/emit", text, false, {{"X-Event", "e" + std::to_string(++seq)}});
    ASSERT_EQ(r.status, 202u) << r.body;
  }
  // Waits until the host's log holds `needle` at least `n` times.
  bool seen(const std::string& needle, std::size_t n = 1) {
    return pbfake::wait_for([&] { return occurrences(host->logs(), needle) >= n; }, 20);
  }
  // /init, then the link followed like a browser up to the host's callback; the page's status.
  unsigned bind(std::size_t link_no) {
    say("/init");
    EXPECT_TRUE(seen("Open this link", link_no)) << host->logs();
    std::regex re(R"((http://127\.0\.0\.1:\d+/oauth/authorize\?[A-Za-z0-9%&=._~\-]+))");
    std::string last;
    const std::string log = host->logs();
    for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator();
         ++it)
      last = (*it)[1].str();
    EXPECT_FALSE(last.empty());
    kit::http_client_request req;
    req.url = last;
    req.total_timeout = 10s;
    std::string err;
    kit::http_client_response resp;
    kit::http_fetch_blocking(req, err, resp);
    EXPECT_EQ(resp.status, 302u) << err << resp.body;
    std::string loc(resp.header("Location"));
    auto page = host->get("/oauth/nyxid/callback" + loc.substr(loc.find('?')));
    return page.status;
  }

  pbfake::fake_process fake{PB_FAKE_NYXID_BIN, {}};
  agent_server agent;
  std::unique_ptr<pbtest::host_fixture> host;
  int seq = 0;
};

TEST_F(IdentityE2E, BindTokenTurnSelfHealAndRebind) {
  // Not bound: the agent is not called, the user is told to /init.
  say("hello");
  ASSERT_TRUE(seen("which is not bound yet: send /init")) << host->logs();
  EXPECT_EQ(agent.count(), 0u);

  ASSERT_EQ(bind(1), 200u) << host->logs();
  say("/init");
  ASSERT_TRUE(seen("You are already bound to NyxID")) << host->logs();

  // A turn carries the user's own token, and the token never reaches the log.
  say("hello with identity");
  ASSERT_TRUE(seen("agent answered with a user token")) << host->logs();
  ASSERT_EQ(agent.count(), 1u);
  const std::string auth = agent.authorizations.at(0);
  ASSERT_EQ(auth.rfind("Bearer ey", 0), 0u) << auth;
  EXPECT_EQ(host->logs().find(auth.substr(7)), std::string::npos) << "token in the log";
  EXPECT_EQ(agent.bodies.at(0).find(auth.substr(7)), std::string::npos) << "token in the turn";

  // NyxID revokes the binding: the next turn heals it, and /init works again.
  auto bindings = fake.list("/_fake/bindings", "bindings");
  ASSERT_EQ(bindings.size(), 1u);
  fake.call(
      "POST", "/_fake/bindings",
      {{"binding_id", pbfake::fake_process::str(bindings[0], "binding_id")}, {"state", "revoked"}});
  say("hello again");
  ASSERT_TRUE(seen("I cleared it, so /init will work now")) << host->logs();
  EXPECT_EQ(agent.count(), 1u);
  EXPECT_EQ(bind(2), 200u) << host->logs();
  say("/unbind");
  ASSERT_TRUE(seen("Unbound from NyxID")) << host->logs();
  say("/unbind");
  ASSERT_TRUE(seen("You are not bound to NyxID")) << host->logs();
}

TEST_F(IdentityE2E, CallbackWithForgedStateIsRefused) {
  auto page = host->get("/oauth/nyxid/callback?code=abc&state=forged.state");
  EXPECT_EQ(page.status, 400u);
  EXPECT_NE(page.body.find("not valid"), std::string::npos) << page.body;
  EXPECT_TRUE(fake.list("/_fake/requests?endpoint=token", "requests").empty());
}

}  // namespace
