// patchbay-fake-nyxid as a real child process on 127.0.0.1:0. The test plays the bot: a kit
// HTTP server receives the callbacks and verifies them with the plugin's verifier (nyxid_proto)
// against the JWKS fetched from the fake over HTTP; then /reply, /reply/update, the proxy and the
// OAuth broker are driven with the kit HTTP client.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <csignal>
#include <filesystem>
#include <map>
#include <mutex>

#include "child_process.hpp"
#include "kit_test_support.hpp"
#include "nyxid/proto/callback_verify.hpp"
#include "nyxid/proto/jwks.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/kit/http_server.hpp"
#include "patchbay/kit/runtime.hpp"

namespace {

namespace json = boost::json;
namespace kit = patchbay::kit;
namespace pn = patchbay::plugins::nyxid;
using namespace std::chrono_literals;

json::object obj(const std::string& text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.get_object());
}
std::string str(const json::object& o, const char* k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The bot side: verifies every callback with nyxid_proto, answers 202 or 401.
struct bot {
  kit::io_runtime& rt;
  std::string base_url, issuer;
  std::mutex mu;
  pn::jwks_cache cache;
  pn::replay_guard guard;
  std::vector<pn::callback_reject> verdicts;
  std::unique_ptr<kit::http_server> server;

  bot(kit::io_runtime& r) : rt(r) {
    kit::http_server_options o;
    o.listen = "127.0.0.1:0";
    server = std::make_unique<kit::http_server>(rt, o, [this](auto ex) { on(std::move(ex)); });
    server->start();
  }
  std::string hook_url() const { return "http://" + server->local_endpoint() + "/hooks/nyx"; }

  void load_keys(std::int64_t now_ms) {
    kit::http_client_request r;
    r.url = base_url + "/.well-known/jwks.json";
    auto got = kit_test::fetch(rt, r);
    auto keys = pn::parse_jwks(got.response.body);
    ASSERT_TRUE(keys);
    std::lock_guard l(mu);
    cache.begin_fetch(now_ms);
    cache.on_fetched(keys->keys, now_ms);
  }

  void on(std::shared_ptr<kit::http_exchange> ex) {
    const auto& q = ex->request();
    pn::callback_verify_config cfg;
    cfg.issuer = issuer;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    std::lock_guard l(mu);
    auto v = pn::verify_callback(
        {q.header("X-NyxID-Callback-Token"), q.header("X-NyxID-Message-Id"), q.body}, cfg, cache,
        guard, now);
    verdicts.push_back(v.reason);
    kit::http_response r;
    r.status = static_cast<unsigned>(v.http_status());
    r.body = v.ok() ? R"({"status":"accepted"})" : R"({"error":"unauthorized"})";
    ex->respond(std::move(r));
  }
};

class FakeNyxid : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pb-fake-nyxid-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    hooks_ = std::make_unique<bot>(rt_);
    child_ = std::make_unique<pbtest::child_process>(
        std::vector<std::string>{PB_FAKE_NYXID_BIN, "--listen", "127.0.0.1:0", "--seed", "5",
                                 "--callback-url", hooks_->hook_url()},
        std::map<std::string, std::string>{}, dir_ + "/out", dir_ + "/err");
    std::string out;
    kit_test::wait_until(
        [&] {
          out = pbtest::read_file(dir_ + "/out");
          return out.find('\n') != std::string::npos || child_->wait(0ms) != -1;
        },
        20s);
    ASSERT_NE(out.find('\n'), std::string::npos) << pbtest::read_file(dir_ + "/err");
    first_ = obj(out.substr(0, out.find('\n')));
    base_ = str(first_, "base_url");
    hooks_->base_url = base_;
    hooks_->issuer = str(first_, "issuer");
  }
  void TearDown() override {
    if (child_ && child_->wait(0ms) == -1) child_->signal(SIGTERM);
    if (child_) {
      EXPECT_EQ(child_->wait(10s), 0);
    }
    hooks_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  kit_test::fetch_result call(const std::string& method, const std::string& path,
                              const std::string& body = {}, kit::http_headers headers = {}) {
    kit::http_client_request r;
    r.method = method;
    r.url = base_ + path;
    r.body = body;
    r.headers = std::move(headers);
    r.total_timeout = 10s;
    return kit_test::fetch(rt_, r, 15s);
  }
  std::pair<unsigned, json::object> jcall(const std::string& method, const std::string& path,
                                          const std::string& body = {}, kit::http_headers h = {}) {
    auto r = call(method, path, body, std::move(h));
    EXPECT_TRUE(r.completed && r.error.empty()) << r.error;
    return {r.response.status, obj(r.response.body)};
  }
  json::object inject(const json::object& body) {
    auto [st, o] = jcall("POST", "/_fake/inject", json::serialize(body));
    EXPECT_EQ(st, 200u);
    return o;
  }
  std::pair<unsigned, json::object> reply(const std::string& tok, const std::string& id,
                                          const std::string& text = "hi") {
    return jcall("POST", "/api/v1/channel-relay/reply",
                 json::serialize(json::object{{"message_id", id}, {"reply", {{"text", text}}}}),
                 {{"Authorization", "Bearer " + tok}});
  }
  std::pair<unsigned, json::object> update(const std::string& tok, const std::string& om) {
    return jcall("POST", "/api/v1/channel-relay/reply/update",
                 json::serialize(json::object{{"message_id", om}, {"reply", {{"text", "e"}}}}),
                 {{"Authorization", "Bearer " + tok}});
  }

  kit::io_runtime rt_{2};
  std::string dir_, base_;
  json::object first_;
  std::unique_ptr<bot> hooks_;
  std::unique_ptr<pbtest::child_process> child_;
};

TEST_F(FakeNyxid, FirstLineAndDiscovery) {
  for (const char* k : {"listen", "base_url", "issuer", "audience", "api_key", "api_key_id",
                        "oauth_client_id", "jwks_uri"})
    EXPECT_FALSE(str(first_, k).empty()) << k;
  EXPECT_EQ(str(first_, "audience"), "channel-relay/callback");
  auto [st, d] = jcall("GET", "/.well-known/openid-configuration");
  ASSERT_EQ(st, 200u);
  auto disc = pn::parse_oidc_discovery(json::serialize(d));
  ASSERT_TRUE(disc);
  EXPECT_EQ(disc->issuer, str(first_, "issuer"));
  EXPECT_EQ(disc->jwks_uri, str(first_, "jwks_uri"));
}

TEST_F(FakeNyxid, SignedCallbacksVerifyAndForgeriesFailForTheirReason) {
  hooks_->load_keys(now_ms());
  auto ok = inject({{"platform", "lark"}, {"chat_type", "group"}, {"text", "hello"}});
  EXPECT_EQ(ok.at("callback_status").as_int64(), 202) << json::serialize(ok);
  EXPECT_TRUE(ok.at("delivered").as_bool());
  const std::vector<std::pair<std::string, pn::callback_reject>> cases{
      {"duplicate_jti", pn::callback_reject::replayed_jti},  // of the genuine one above
      {"expired", pn::callback_reject::expired},
      {"wrong_audience", pn::callback_reject::bad_audience},
      {"wrong_issuer", pn::callback_reject::bad_issuer},
      {"body_altered", pn::callback_reject::body_hash_mismatch},
      {"unknown_kid", pn::callback_reject::unknown_kid},
      {"wrong_message_id", pn::callback_reject::message_id_header_mismatch},
      {"bad_signature", pn::callback_reject::bad_signature}};
  for (const auto& [forge, want] : cases) {
    auto r = inject({{"text", "x"}, {"forge", forge}});
    EXPECT_EQ(r.at("callback_status").as_int64(), 401) << forge;
    std::lock_guard l(hooks_->mu);
    EXPECT_EQ(hooks_->verdicts.back(), want)
        << forge << " gave " << pn::to_string(hooks_->verdicts.back());
  }
  // Rotation: a callback signed with a new key names a kid the bot does not know yet.
  auto [st, rot] = jcall("POST", "/_fake/rotate_keys", R"({"keep_old":true})");
  ASSERT_EQ(st, 200u);
  inject({{"text", "after rotation"}});
  {
    std::lock_guard l(hooks_->mu);
    EXPECT_EQ(hooks_->verdicts.back(), pn::callback_reject::unknown_kid);
  }
  hooks_->load_keys(now_ms() + 11'000);  // the refetch
  auto again = inject({{"text", "after refetch"}});
  EXPECT_EQ(again.at("callback_status").as_int64(), 202);
  auto [st2, cbs] = jcall("GET", "/_fake/callbacks");
  EXPECT_EQ(cbs.at("callbacks").as_array().size(), 11u);
}

TEST_F(FakeNyxid, ReplyTokenIsSingleUseEvenWhenTheSendFails) {
  auto m = inject({{"text", "q"}});
  const std::string tok = str(m, "reply_token");
  auto first = reply(tok, str(m, "message_id"));
  ASSERT_EQ(first.first, 200u);
  auto second = reply(tok, str(m, "message_id"));
  EXPECT_EQ(second.first, 401u);
  EXPECT_EQ(str(second.second, "message"), "Unauthorized: Reply token already used");

  jcall("POST", "/_fake/fault", R"({"kind":"platform_error","endpoint":"reply","status":502})");
  auto m2 = inject({{"text", "q2"}});
  EXPECT_EQ(reply(str(m2, "reply_token"), str(m2, "message_id")).first, 502u);
  EXPECT_EQ(str(reply(str(m2, "reply_token"), str(m2, "message_id")).second, "message"),
            "Unauthorized: Reply token already used");

  // A reply slower than the client's deadline: the client gives up, the token is spent anyway.
  jcall("POST", "/_fake/fault", R"({"kind":"delay","endpoint":"reply","ms":3000})");
  auto m3 = inject({{"text", "q3"}});
  kit::http_client_request r;
  r.method = "POST";
  r.url = base_ + "/api/v1/channel-relay/reply";
  r.body = json::serialize(
      json::object{{"message_id", str(m3, "message_id")}, {"reply", {{"text", "x"}}}});
  r.headers = {{"Authorization", "Bearer " + str(m3, "reply_token")}};
  r.first_byte_timeout = 300ms;
  auto timed_out = kit_test::fetch(rt_, r);
  EXPECT_FALSE(timed_out.error.empty());
  EXPECT_EQ(reply(str(m3, "reply_token"), str(m3, "message_id")).first, 401u);

  auto [st, log] = jcall("GET", "/_fake/requests?endpoint=reply");
  EXPECT_EQ(json::serialize(log).find(tok), std::string::npos);  // no token values recorded
}

TEST_F(FakeNyxid, EditsTelegramUnsupportedAndRateLimited) {
  auto t = inject({{"platform", "telegram"}, {"text", "q"}});
  auto sent = reply(str(t, "reply_token"), str(t, "message_id"));
  ASSERT_EQ(sent.first, 200u);
  auto e = update(str(t, "reply_token"), str(sent.second, "platform_message_id"));
  EXPECT_EQ(e.first, 501u);
  EXPECT_EQ(str(e.second, "error"), "edit_unsupported");

  jcall("POST", "/_fake/config", R"({"edit_rate_per_second":1,"edit_burst":3})");
  auto l = inject({{"platform", "lark"}, {"text", "q"}});
  auto ls = reply(str(l, "reply_token"), str(l, "message_id"));
  const std::string om = str(ls.second, "platform_message_id");
  int ok = 0, limited = 0;
  for (int i = 0; i < 6; ++i) {
    auto r = update(str(l, "reply_token"), om);
    (r.first == 200u ? ok : limited) += 1;
    if (r.first == 429u) {
      EXPECT_EQ(str(r.second, "error"), "rate_limited");
    }
  }
  EXPECT_GE(limited, 2);  // 3 burst + at most a few refills at 1/s during the loop
  EXPECT_GE(ok, 3);
}

TEST_F(FakeNyxid, ProxyScripting) {
  const std::string key = str(first_, "api_key");
  jcall("POST", "/_fake/fault", R"({"kind":"proxy","preset":"cross_tenant"})");
  const std::string body =
      R"({"receive_id":"oc_1","msg_type":"text","content":"{\"text\":\"r\"}"})";
  const std::string path =
      "/api/v1/proxy/s/api-lark-bot/open-apis/im/v1/messages?receive_id_type=chat_id";
  auto a = jcall("POST", path, body, {{"Authorization", "Bearer " + key}});
  EXPECT_EQ(a.first, 400u);
  EXPECT_EQ(a.second.at("code").as_int64(), 99992364);
  auto b = jcall("POST", path, body, {{"Authorization", "Bearer " + key}});
  EXPECT_EQ(b.first, 200u);
  auto [st, sent] = jcall("GET", "/_fake/proxy/sent");
  EXPECT_EQ(sent.at("sent").as_array().size(), 2u);
}

std::string s256(const std::string& v) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(v.data()), v.size(), d);
  return patchbay::common::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(d), sizeof d));
}

TEST_F(FakeNyxid, OAuthCodeExchangeTokenExchangeAndRevoke) {
  const std::string client = str(first_, "oauth_client_id");
  const std::string verifier(64, 'k');
  const std::string redirect = "http%3A%2F%2F127.0.0.1%3A8780%2Foauth%2Fcallback";
  auto auth = call("GET", "/oauth/authorize?response_type=code&client_id=" + client +
                              "&redirect_uri=" + redirect + "&scope=openid+proxy&state=s1" +
                              "&code_challenge=" + s256(verifier) + "&code_challenge_method=S256");
  ASSERT_EQ(auth.response.status, 302u);
  const std::string loc(auth.response.header("Location"));
  const auto cpos = loc.find("code=");
  ASSERT_NE(cpos, std::string::npos) << loc;
  const std::string code = loc.substr(cpos + 5, loc.find('&', cpos) - cpos - 5);
  const kit::http_headers form{{"Content-Type", "application/x-www-form-urlencoded"}};
  auto tok = jcall("POST", "/oauth/token",
                   "grant_type=authorization_code&code=" + code + "&code_verifier=" + verifier +
                       "&redirect_uri=" + redirect + "&client_id=" + client,
                   form);
  ASSERT_EQ(tok.first, 200u) << json::serialize(tok.second);
  const std::string binding = str(tok.second, "binding_id");
  const auto exchange = [&](const std::string& b) {
    return jcall("POST", "/oauth/token",
                 "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
                 "&subject_token_type=urn%3Anyxid%3Aparams%3Aoauth%3Atoken-type%3Abinding-id"
                 "&subject_token=" +
                     b + "&client_id=" + client + "&scope=proxy",
                 form);
  };
  auto ex = exchange(binding);
  ASSERT_EQ(ex.first, 200u) << json::serialize(ex.second);
  // The exchanged token works on the proxy.
  auto p =
      jcall("POST", "/api/v1/proxy/s/api-lark-bot/open-apis/im/v1/messages?receive_id_type=open_id",
            R"({"receive_id":"ou_1","msg_type":"text","content":"{}"})",
            {{"Authorization", "Bearer " + str(ex.second, "access_token")}});
  EXPECT_EQ(p.first, 200u);
  jcall("POST", "/_fake/bindings",
        R"({"binding_id":")" + binding + R"(","state":"scope_mismatch"})");
  EXPECT_EQ(str(exchange(binding).second, "error"), "invalid_scope");
  jcall("POST", "/_fake/bindings", R"({"binding_id":")" + binding + R"(","state":"unknown"})");
  EXPECT_EQ(str(exchange(binding).second, "error"), "invalid_grant");
  jcall("POST", "/_fake/bindings", R"({"binding_id":")" + binding + R"(","state":"bound"})");
  EXPECT_EQ(exchange(binding).first, 200u);
  auto rv = call("DELETE", "/oauth/bindings/" + binding + "?client_id=" + client);
  EXPECT_EQ(rv.response.status, 204u);
  auto after = exchange(binding);
  EXPECT_EQ(after.first, 400u);
  EXPECT_EQ(str(after.second, "error"), "invalid_grant");
}

}  // namespace
