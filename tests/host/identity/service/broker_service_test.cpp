// The identity service against the real fake NyxID broker (patchbay-fake-nyxid,
// docs/protocols/nyxid-relay.md §3) on loopback: token exchange and its cache, self-heal for
// revoked, not-found and scope-mismatch bindings with the store failing never, once (healed on the
// retry) and always (degraded text naming /unbind, exactly two attempts), /init (DM, group, already
// bound), the OAuth callback (good, bad and expired state), and /unbind.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fake_process.hpp"
#include "identity/pkce.hpp"
#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/runtime.hpp"
#include "service_support.hpp"

namespace {
using namespace std::chrono_literals;
using namespace idtest;
namespace json = boost::json;

class BrokerService : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(fake.base_url.empty()) << fake.logs();
    id::broker_options o;
    o.client = id::broker_client{
        fake.base_url, pbfake::fake_process::str(fake.first_line, "oauth_client_id"),
        "http://127.0.0.1:9/oauth/nyxid/callback", "openid urn:nyxid:scope:broker_binding proxy"};
    o.state_secret = "test-state-secret-0123456789";
    o.timeout = 10s;
    o.now_ms = [this] { return clock_ms.load(); };
    svc = std::make_shared<id::broker_service>(rt, o, store);
  }

  // A binding at the fake in `state` (bound, revoked, unknown, scope_mismatch); its id.
  std::string fake_binding(const std::string& state) {
    auto v = fake.call("POST", "/_fake/bindings", {{"state", state}});
    return pbfake::fake_process::str(v, "binding_id");
  }
  json::object fake_binding_json(const std::string& id) {
    for (const auto& b : fake.list("/_fake/bindings", "bindings"))
      if (pbfake::fake_process::str(b, "binding_id") == id) return b.as_object();
    return {};
  }
  std::size_t requests(const std::string& endpoint) {
    return fake.list("/_fake/requests?endpoint=" + endpoint, "requests").size();
  }
  // Follows a /init link like a browser: the fake approves at once and redirects to the
  // callback; returns the callback's query.
  std::string authorize(const std::string& link_text) {
    const auto at = link_text.find("http");
    EXPECT_NE(at, std::string::npos) << link_text;
    patchbay::kit::http_client_request req;
    req.url = link_text.substr(at);
    req.total_timeout = 10s;
    std::string err;
    patchbay::kit::http_client_response resp;
    patchbay::kit::http_fetch_blocking(req, err, resp);
    EXPECT_EQ(err, "");
    EXPECT_EQ(resp.status, 302u) << resp.body;
    std::string loc(resp.header("Location"));
    EXPECT_EQ(loc.rfind("http://127.0.0.1:9/oauth/nyxid/callback?", 0), 0u) << loc;
    return loc.substr(loc.find('?') + 1);
  }

  pbfake::fake_process fake{PB_FAKE_NYXID_BIN, {"--seed", "7"}};
  patchbay::kit::io_runtime rt{1};
  std::shared_ptr<flaky_store> store = std::make_shared<flaky_store>();
  std::atomic<std::int64_t> clock_ms{1'780'000'000'000};
  std::shared_ptr<id::broker_service> svc;
  const id::subject dm{"Lark", "chan-1", "ou_1", true};
  const id::subject group{"Lark", "chan-1", "ou_1", false};
};

TEST_F(BrokerService, SubjectKeyIsPlatformChannelSender) {
  EXPECT_EQ(dm.key(), "lark:chan-1:ou_1");
}

TEST_F(BrokerService, NotBoundTellsToInitWithoutCallingNyxid) {
  auto r = token_for(*svc, dm);
  EXPECT_EQ(r.outcome, id::exchange_outcome::not_bound);
  EXPECT_NE(r.user_text.find("/init"), std::string::npos);
  auto g = token_for(*svc, group);
  EXPECT_NE(g.user_text.find("direct message"), std::string::npos) << g.user_text;
  EXPECT_EQ(requests("token"), 0u);
}

TEST_F(BrokerService, TokenExchangeIsCachedPerBinding) {
  const std::string id = fake_binding("bound");
  store->set(dm.key(), id);
  auto a = token_for(*svc, dm);
  ASSERT_EQ(a.outcome, id::exchange_outcome::token) << a.user_text;
  EXPECT_FALSE(a.token.empty());
  auto b = token_for(*svc, dm);
  EXPECT_EQ(b.token, a.token);
  EXPECT_EQ(requests("token"), 1u);  // the second came from the cache
  // The request was the RFC 8693 exchange of the binding id.
  auto req = fake.list("/_fake/requests?endpoint=token", "requests").at(0);
  const json::value& body = req.as_object().at("body");  // the fake's parsed form
  EXPECT_EQ(pbfake::fake_process::str(body, "grant_type"),
            "urn:ietf:params:oauth:grant-type:token-exchange")
      << json::serialize(body);
  EXPECT_EQ(pbfake::fake_process::str(body, "subject_token_type"),
            "urn:nyxid:params:oauth:token-type:binding-id");
  EXPECT_EQ(pbfake::fake_process::num(req, "status"), 200);
  // Past the cache's window (300 s lifetime - 60 s margin) a new exchange is made.
  clock_ms += 241'000;
  auto c = token_for(*svc, dm);
  EXPECT_EQ(c.outcome, id::exchange_outcome::token);
  EXPECT_EQ(requests("token"), 2u);
}

struct heal_case {
  const char* name;
  const char* fake_state;  // "" = a binding id the fake never issued (not found)
  int fail_removes;        // 0 never, 1 once, -1 always
  id::exchange_outcome outcome;
};

class SelfHeal : public BrokerService, public ::testing::WithParamInterface<heal_case> {};

TEST_P(SelfHeal, ClearsLocallyAndSaysSoOnlyWhenItWorked) {
  const heal_case& c = GetParam();
  const std::string id =
      *c.fake_state ? fake_binding(c.fake_state) : std::string("bnd_never_issued");
  store->set(dm.key(), id);
  store->fail_removes = c.fail_removes;
  auto r = token_for(*svc, dm);
  EXPECT_EQ(r.outcome, c.outcome);
  EXPECT_TRUE(r.token.empty());
  EXPECT_EQ(requests("token"), 1u);
  if (c.fail_removes >= 0) {
    EXPECT_EQ(store->remove_attempts.load(), c.fail_removes + 1);
    EXPECT_FALSE(store->get(dm.key())) << "the local binding is cleared";
    EXPECT_NE(r.user_text.find("cleared"), std::string::npos) << r.user_text;
    EXPECT_NE(r.user_text.find("/init will work now"), std::string::npos) << r.user_text;
    // ...and /init agrees: it offers a link, not "already bound".
    EXPECT_NE(command(*svc, id::command::init, dm).find("/oauth/authorize?"), std::string::npos);
  } else {
    EXPECT_EQ(store->remove_attempts.load(), 2) << "exactly two attempts";
    EXPECT_TRUE(store->get(dm.key())) << "the record stays";
    EXPECT_NE(r.user_text.find("clean-up failed"), std::string::npos) << r.user_text;
    EXPECT_NE(r.user_text.find("/unbind"), std::string::npos) << r.user_text;
    EXPECT_EQ(r.user_text.find("will work now"), std::string::npos) << r.user_text;
    // /init agrees with the degraded text (still bound here), and /unbind is the way out.
    EXPECT_EQ(command(*svc, id::command::init, dm), id::texts::init_already_bound());
    store->fail_removes = 0;
    EXPECT_EQ(command(*svc, id::command::unbind, dm), id::texts::unbind_done());
    EXPECT_NE(command(*svc, id::command::init, dm).find("/oauth/authorize?"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Bindings, SelfHeal,
    ::testing::Values(
        heal_case{"revoked_store_ok", "revoked", 0, id::exchange_outcome::invalid_grant},
        heal_case{"revoked_store_fails_once", "revoked", 1, id::exchange_outcome::invalid_grant},
        heal_case{"revoked_store_fails", "revoked", -1, id::exchange_outcome::invalid_grant},
        heal_case{"unknown_store_ok", "unknown", 0, id::exchange_outcome::invalid_grant},
        heal_case{"not_found_store_ok", "", 0, id::exchange_outcome::invalid_grant},
        heal_case{"not_found_store_fails_once", "", 1, id::exchange_outcome::invalid_grant},
        heal_case{"not_found_store_fails", "", -1, id::exchange_outcome::invalid_grant},
        heal_case{"scope_store_ok", "scope_mismatch", 0, id::exchange_outcome::invalid_scope},
        heal_case{"scope_store_fails_once", "scope_mismatch", 1,
                  id::exchange_outcome::invalid_scope},
        heal_case{"scope_store_fails", "scope_mismatch", -1, id::exchange_outcome::invalid_scope}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(BrokerService, BrokenLocalRecordIsHealedWithoutCallingNyxid) {
  store->set(dm.key(), "");
  auto r = token_for(*svc, dm);
  EXPECT_EQ(r.outcome, id::exchange_outcome::record_broken);
  EXPECT_NE(r.user_text.find("/init will work now"), std::string::npos) << r.user_text;
  EXPECT_FALSE(store->get(dm.key()));
  EXPECT_EQ(requests("token"), 0u);
}

TEST_F(BrokerService, UnavailableNyxidClearsNothing) {
  const std::string id = fake_binding("bound");
  store->set(dm.key(), id);
  fake.call("POST", "/_fake/fault", {{"kind", "status"}, {"endpoint", "token"}, {"status", 503}});
  auto r = token_for(*svc, dm);
  EXPECT_EQ(r.outcome, id::exchange_outcome::unavailable);
  EXPECT_NE(r.user_text.find("try again"), std::string::npos) << r.user_text;
  EXPECT_TRUE(store->get(dm.key()));
  EXPECT_EQ(store->remove_attempts.load(), 0);
}

TEST_F(BrokerService, InitInGroupPointsToDm) {
  EXPECT_EQ(command(*svc, id::command::init, group), id::texts::init_in_group());
  EXPECT_EQ(requests("authorize"), 0u);
}

TEST_F(BrokerService, InitCallbackBindsAndTokensFlowThenUnbind) {
  const std::string link = command(*svc, id::command::init, dm);
  ASSERT_NE(link.find("/oauth/authorize?"), std::string::npos) << link;
  EXPECT_NE(link.find("code_challenge_method=S256"), std::string::npos);
  const std::string query = authorize(link);
  auto page = callback(*svc, query);
  EXPECT_EQ(page.status, 200u) << page.body;
  EXPECT_NE(page.body.find("Bound"), std::string::npos);
  auto rec = store->get(dm.key());
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->binding_id.rfind("bnd_", 0), 0u) << rec->binding_id;
  EXPECT_EQ(pbfake::fake_process::str(fake_binding_json(rec->binding_id), "state"), "bound");
  // The code exchange carried the PKCE verifier the fake checked against the challenge.
  auto code_req = fake.list("/_fake/requests?endpoint=token", "requests").at(0);
  EXPECT_EQ(pbfake::fake_process::num(code_req, "status"), 200);

  EXPECT_EQ(command(*svc, id::command::init, dm), id::texts::init_already_bound());
  EXPECT_EQ(token_for(*svc, dm).outcome, id::exchange_outcome::token);

  EXPECT_EQ(command(*svc, id::command::unbind, dm), id::texts::unbind_done());
  EXPECT_FALSE(store->get(dm.key()));
  EXPECT_EQ(pbfake::fake_process::str(fake_binding_json(rec->binding_id), "state"), "revoked");
  EXPECT_EQ(requests("revoke"), 1u);
  EXPECT_EQ(command(*svc, id::command::unbind, dm), id::texts::unbind_not_bound());
  EXPECT_EQ(token_for(*svc, dm).outcome, id::exchange_outcome::not_bound);
}

TEST_F(BrokerService, CallbackReplayedCodeIsRefused) {
  const std::string query = authorize(command(*svc, id::command::init, dm));
  EXPECT_EQ(callback(*svc, query).status, 200u);
  EXPECT_EQ(command(*svc, id::command::unbind, dm), id::texts::unbind_done());
  auto again = callback(*svc, query);  // the code was single-use
  EXPECT_EQ(again.status, 400u) << again.body;
  EXPECT_FALSE(store->get(dm.key()));
}

TEST_F(BrokerService, CallbackWithBadStateStoresNothing) {
  const std::string query = authorize(command(*svc, id::command::init, dm));
  const std::string code = id::form_value(query, "code").value_or("");
  const std::string state = id::form_value(query, "state").value_or("");
  // Someone else's subject key, signed with a guessed secret.
  id::state_claims forged{"nyxid", "lark:chan-1:ou_attacker", "n", clock_ms / 1000 + 300};
  for (const std::string& bad :
       {std::string(""), std::string("garbage"), state.substr(0, state.size() - 2) + "xx",
        id::sign_state(forged, "guessed-secret-0123456789")}) {
    auto page = callback(*svc, "code=" + code + "&state=" + id::url_encode(bad));
    EXPECT_EQ(page.status, 400u) << bad;
    EXPECT_NE(page.body.find("not valid"), std::string::npos) << page.body;
  }
  EXPECT_FALSE(store->get(dm.key()));
  EXPECT_FALSE(store->get("lark:chan-1:ou_attacker"));
  EXPECT_EQ(requests("token"), 0u) << "no code exchange for a bad state";
  EXPECT_EQ(store->put_attempts.load(), 0);
}

TEST_F(BrokerService, CallbackWithExpiredStateStoresNothing) {
  const std::string query = authorize(command(*svc, id::command::init, dm));
  clock_ms += 301'000;  // the state lives 5 minutes
  auto page = callback(*svc, query);
  EXPECT_EQ(page.status, 400u);
  EXPECT_NE(page.body.find("expired"), std::string::npos) << page.body;
  EXPECT_FALSE(store->get(dm.key()));
  EXPECT_EQ(requests("token"), 0u);
}

TEST_F(BrokerService, CallbackDeniedStoresNothing) {
  fake.call("POST", "/_fake/oauth", {{"deny_authorize", 1}});
  const std::string query = authorize(command(*svc, id::command::init, dm));
  EXPECT_EQ(id::form_value(query, "error"), "access_denied");
  EXPECT_EQ(callback(*svc, query).status, 400u);
  EXPECT_FALSE(store->get(dm.key()));
}

TEST_F(BrokerService, CallbackStoreFailingAlwaysRevokesTheNewBinding) {
  const std::string query = authorize(command(*svc, id::command::init, dm));
  store->fail_puts = -1;
  auto page = callback(*svc, query);
  EXPECT_EQ(page.status, 500u) << page.body;
  EXPECT_EQ(store->put_attempts.load(), 2);
  EXPECT_FALSE(store->get(dm.key()));
  // Nothing local points at the new binding: it is revoked at NyxID.
  ASSERT_TRUE(pbfake::wait_for([&] { return requests("revoke") == 1; }, 10));
  auto bindings = fake.list("/_fake/bindings", "bindings");
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(pbfake::fake_process::str(bindings[0], "state"), "revoked");
}

TEST_F(BrokerService, UnbindRetriesTheStoreOnceThenIsHonest) {
  const std::string id = fake_binding("bound");
  store->set(dm.key(), id);
  store->fail_removes = 1;
  EXPECT_EQ(command(*svc, id::command::unbind, dm), id::texts::unbind_done());
  EXPECT_EQ(store->remove_attempts.load(), 2);

  store->set(dm.key(), fake_binding("bound"));
  store->fail_removes = -1;
  EXPECT_EQ(command(*svc, id::command::unbind, dm), id::texts::unbind_failed());
  EXPECT_EQ(store->remove_attempts.load(), 4);
  EXPECT_TRUE(store->get(dm.key()));
}

TEST_F(BrokerService, UnbindKeepsTheBindingWhenNyxidIsDown) {
  store->set(dm.key(), fake_binding("bound"));
  fake.call("POST", "/_fake/fault", {{"kind", "status"}, {"endpoint", "revoke"}, {"status", 502}});
  EXPECT_EQ(command(*svc, id::command::unbind, dm), id::texts::unbind_failed());
  EXPECT_TRUE(store->get(dm.key()));
  EXPECT_EQ(store->remove_attempts.load(), 0);
}

}  // namespace
