// OAuth broker (PKCE code flow, token exchange per binding state, revoke) and the proxy script.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include "harness.hpp"
#include "patchbay/common/base64.hpp"

namespace fakes_nyxid_test {
namespace {

std::string challenge_of(const std::string& verifier) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), d);
  return patchbay::common::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(d), sizeof d));
}

struct oauth : harness {
  std::string client = str(obj(json::serialize(fake.startup_info("x"))), "oauth_client_id");
  const std::string verifier = std::string(50, 'v');
  const std::string redirect = "http://127.0.0.1:8780/oauth/callback";

  // The authorize redirect's Location.
  std::string authorize(const std::string& ch, const std::string& method = "S256") {
    auto a = call("GET", "/oauth/authorize?response_type=code&client_id=" + client +
                             "&redirect_uri=" + nx::url_encode(redirect) +
                             "&scope=openid%20proxy&state=st8&code_challenge=" + ch +
                             "&code_challenge_method=" + method);
    EXPECT_EQ(a.response.status, 302u);
    return std::string(patchbay::kit::find_header(a.response.headers, "Location"));
  }
  std::pair<unsigned, json::object> token(const std::string& form) {
    return req("POST", "/oauth/token", form,
               {{"Content-Type", "application/x-www-form-urlencoded"}});
  }
  std::pair<unsigned, json::object> exchange(const std::string& binding,
                                             const std::string& scope = "") {
    return token(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=" +
        binding + "&subject_token_type=urn%3Anyxid%3Aparams%3Aoauth%3Atoken-type%3Abinding-id" +
        "&client_id=" + client + (scope.empty() ? "" : "&scope=" + scope));
  }
};

TEST(OAuth, CodeFlowWithPkceCreatesABinding) {
  oauth h;
  const std::string loc = h.authorize(challenge_of(h.verifier));
  ASSERT_EQ(loc.rfind(h.redirect + "?code=", 0), 0u) << loc;
  EXPECT_NE(loc.find("&state=st8"), std::string::npos);
  const std::string code = *nx::form_param(loc.substr(loc.find('?') + 1), "code");
  const std::string base = "grant_type=authorization_code&code=" + code +
                           "&redirect_uri=" + nx::url_encode(h.redirect) + "&client_id=" + h.client;
  auto bad = h.token(base + "&code_verifier=" + std::string(50, 'w'));
  EXPECT_EQ(bad.first, 400u);
  EXPECT_EQ(str(bad.second, "error"), "invalid_grant");
  auto ok = h.token(base + "&code_verifier=" + h.verifier);
  ASSERT_EQ(ok.first, 200u) << json::serialize(ok.second);
  EXPECT_EQ(str(ok.second, "token_type"), "Bearer");
  EXPECT_EQ(str(ok.second, "binding_id").rfind("bnd_", 0), 0u);
  EXPECT_EQ(str(h.token(base + "&code_verifier=" + h.verifier).second, "error"), "invalid_grant");
  // The log masks the code and the verifier.
  auto [st, log] = h.req("GET", "/_fake/requests?endpoint=token");
  EXPECT_EQ(json::serialize(log).find(h.verifier), std::string::npos);
  EXPECT_EQ(json::serialize(log).find(code), std::string::npos);

  const std::string binding = str(ok.second, "binding_id");
  auto ex = h.exchange(binding, "proxy");
  ASSERT_EQ(ex.first, 200u) << json::serialize(ex.second);
  EXPECT_EQ(ex.second.at("expires_in").as_int64(), 300);
  auto scope = h.exchange(binding, "admin");
  EXPECT_EQ(str(scope.second, "error"), "invalid_scope");
  EXPECT_EQ(str(scope.second, "error_description"),
            "Invalid scope: Scope 'admin' is not allowed for this binding");
  auto rv = h.call("DELETE", "/oauth/bindings/" + binding + "?client_id=" + h.client);
  EXPECT_EQ(rv.response.status, 204u);
  EXPECT_EQ(str(h.exchange(binding).second, "error"), "invalid_grant");
  EXPECT_EQ(h.call("DELETE", "/oauth/bindings/bnd_none?client_id=" + h.client).response.status,
            204u);
}

TEST(OAuth, AuthorizeRefusesPlainPkceAndMissingState) {
  oauth h;
  EXPECT_NE(h.authorize(challenge_of(h.verifier), "plain").find("error=invalid_request"),
            std::string::npos);
  auto a = h.call("GET", "/oauth/authorize?response_type=code&client_id=nope&redirect_uri=x");
  EXPECT_EQ(a.response.status, 400u);
}

TEST(OAuth, BindingStatesSetByControl) {
  oauth h;
  const std::vector<std::pair<std::string, std::string>> cases{{"bound", ""},
                                                               {"revoked", "invalid_grant"},
                                                               {"unknown", "invalid_grant"},
                                                               {"scope_mismatch", "invalid_scope"}};
  for (const auto& [state, want] : cases) {
    auto [st, b] = h.req("POST", "/_fake/bindings", R"({"state":")" + state + R"("})");
    ASSERT_EQ(st, 200u);
    auto ex = h.exchange(str(b, "binding_id"), "proxy");
    EXPECT_EQ(ex.first, want.empty() ? 200u : 400u) << state;
    EXPECT_EQ(str(ex.second, "error"), want) << state;
    if (state == "scope_mismatch") {
      EXPECT_EQ(str(ex.second, "error_description"),
                "Invalid scope: Scope 'proxy' is not allowed for this binding");
    }
  }
  EXPECT_EQ(str(h.exchange("bnd_never").second, "error"), "invalid_grant");
}

TEST(Proxy, ScriptedLarkCodesThenSuccessAllRecorded) {
  harness h;
  const std::string key = str(obj(json::serialize(h.fake.startup_info("x"))), "api_key");
  const std::string body =
      R"({"receive_id":"oc_1","msg_type":"text","content":"{\"text\":\"hi\"}"})";
  const auto send = [&](const std::string& slug) {
    return h.req("POST",
                 "/api/v1/proxy/s/" + slug + "/open-apis/im/v1/messages?receive_id_type=chat_id",
                 body, {{"Authorization", "Bearer " + key}});
  };
  h.req("POST", "/_fake/fault",
        R"({"kind":"proxy","preset":"cross_tenant","slug":"API-LARK-BOT"})");
  h.req("POST", "/_fake/fault", R"({"kind":"proxy","preset":"scope_forbidden","slug":"other"})");
  h.req("POST", "/_fake/fault",
        R"({"kind":"proxy","code":230002,"http_status":200,"slug":"third"})");
  auto a = send("api-lark-bot");
  EXPECT_EQ(a.first, 400u);
  EXPECT_EQ(a.second.at("code").as_int64(), 99992364);
  auto b = send("other");
  EXPECT_EQ(b.first, 403u);
  EXPECT_EQ(str(b.second, "error"), "api_key_scope_forbidden");
  EXPECT_EQ(b.second.at("error_code").as_int64(), 9000);
  auto c = send("third");
  EXPECT_EQ(c.first, 200u);
  EXPECT_EQ(c.second.at("code").as_int64(), 230002);
  auto ok = send("api-lark-bot");
  ASSERT_EQ(ok.first, 200u);
  EXPECT_EQ(str(ok.second.at("data").as_object(), "message_id").rfind("om_", 0), 0u);
  EXPECT_EQ(h.req("POST", "/api/v1/proxy/s/x/open-apis/im/v1/messages", body).first, 401u);
  auto [st, sent] = h.req("GET", "/_fake/proxy/sent");
  const auto& rows = sent.at("sent").as_array();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(str(rows[0].as_object(), "slug"), "api-lark-bot");
  EXPECT_EQ(str(rows[0].as_object(), "text"), "hi");
  EXPECT_EQ(rows[0].as_object().at("code").as_int64(), 99992364);
  EXPECT_EQ(str(rows[3].as_object(), "receive_id_type"), "chat_id");
}

}  // namespace
}  // namespace fakes_nyxid_test
