// The OAuth broker's wire format: authorize URL, form bodies, answers and RFC 6749 errors.
#include <gtest/gtest.h>

#include "identity/oauth_messages.hpp"

namespace {
using namespace patchbay::identity;

const broker_client client{"https://nyx.example", "nyx_client_1",
                           "https://bot.example/oauth/nyxid/callback",
                           "openid urn:nyxid:scope:broker_binding proxy"};

TEST(OAuthMessages, UrlEncodingRoundTrips) {
  EXPECT_EQ(url_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
  EXPECT_EQ(form_value("x=1&y=a%20b+c&z", "y"), "a b c");
  EXPECT_EQ(form_value("x=1&z", "z"), "");
  EXPECT_EQ(form_value("x=1", "y"), std::nullopt);
  EXPECT_EQ(form_value("y=%zz", "y"), std::nullopt);
  EXPECT_EQ(form_value("y=%4", "y"), std::nullopt);
}

TEST(OAuthMessages, AuthorizeUrl) {
  const std::string u = authorize_url(client, "st.ate", "chal");
  EXPECT_EQ(u.rfind("https://nyx.example/oauth/authorize?", 0), 0u) << u;
  const std::string q = u.substr(u.find('?') + 1);
  EXPECT_EQ(form_value(q, "response_type"), "code");
  EXPECT_EQ(form_value(q, "client_id"), "nyx_client_1");
  EXPECT_EQ(form_value(q, "redirect_uri"), client.redirect_uri);
  EXPECT_EQ(form_value(q, "scope"), client.scope);
  EXPECT_EQ(form_value(q, "state"), "st.ate");
  EXPECT_EQ(form_value(q, "code_challenge"), "chal");
  EXPECT_EQ(form_value(q, "code_challenge_method"), "S256");
}

TEST(OAuthMessages, GrantForms) {
  const std::string code = code_grant_form(client, "c0de", "verif");
  EXPECT_EQ(form_value(code, "grant_type"), "authorization_code");
  EXPECT_EQ(form_value(code, "code"), "c0de");
  EXPECT_EQ(form_value(code, "code_verifier"), "verif");
  EXPECT_EQ(form_value(code, "redirect_uri"), client.redirect_uri);
  EXPECT_EQ(form_value(code, "client_id"), "nyx_client_1");
  const std::string ex = token_exchange_form(client, "bnd_1");
  EXPECT_EQ(form_value(ex, "grant_type"), "urn:ietf:params:oauth:grant-type:token-exchange");
  EXPECT_EQ(form_value(ex, "subject_token"), "bnd_1");
  EXPECT_EQ(form_value(ex, "subject_token_type"), "urn:nyxid:params:oauth:token-type:binding-id");
  EXPECT_EQ(form_value(ex, "client_id"), "nyx_client_1");
  EXPECT_EQ(binding_url(client, "bnd_1"),
            "https://nyx.example/oauth/bindings/bnd_1?client_id=nyx_client_1");
}

TEST(OAuthMessages, TokenAnswers) {
  auto ok = parse_token_answer(
      200, R"({"access_token":"at","token_type":"Bearer","expires_in":300,"scope":"proxy"})");
  EXPECT_EQ(ok.what, token_answer::kind::ok);
  EXPECT_EQ(ok.access_token, "at");
  EXPECT_EQ(ok.expires_in_s, 300);
  auto code =
      parse_token_answer(200, R"({"access_token":"at","expires_in":900,"binding_id":"bnd_9"})");
  EXPECT_EQ(code.binding_id, "bnd_9");
  auto nullb = parse_token_answer(200, R"({"access_token":"at","binding_id":null})");
  EXPECT_EQ(nullb.what, token_answer::kind::ok);
  EXPECT_EQ(nullb.binding_id, "");
  EXPECT_EQ(parse_token_answer(200, "{}").what, token_answer::kind::unreadable);
  EXPECT_EQ(parse_token_answer(200, "<html>").what, token_answer::kind::unreadable);
}

TEST(OAuthMessages, Rfc6749Errors) {
  auto g = parse_token_answer(
      400,
      R"({"error":"invalid_grant","error_description":"External token verification failed: invalid_grant"})");
  EXPECT_EQ(g.what, token_answer::kind::invalid_grant);
  EXPECT_EQ(g.error, "invalid_grant");
  auto s = parse_token_answer(
      400,
      R"({"error":"invalid_scope","error_description":"Invalid scope: Scope 'proxy' is not allowed for this binding"})");
  EXPECT_EQ(s.what, token_answer::kind::invalid_scope);
  EXPECT_EQ(parse_token_answer(401, R"({"error":"invalid_client"})").what,
            token_answer::kind::rejected);
  // The /api/v1 envelope is not an OAuth error.
  EXPECT_EQ(parse_token_answer(400, R"({"error_code":1001,"message":"x"})").what,
            token_answer::kind::unreadable);
  EXPECT_EQ(parse_token_answer(503, "").what, token_answer::kind::server_error);
  // invalid_grant only counts on a 400.
  EXPECT_EQ(parse_token_answer(401, R"({"error":"invalid_grant"})").what,
            token_answer::kind::rejected);
}

TEST(OAuthMessages, CallbackQuery) {
  auto p = parse_callback_query("code=abc&state=s.t");
  EXPECT_EQ(p.code, "abc");
  EXPECT_EQ(p.state, "s.t");
  auto e = parse_callback_query("error=access_denied&error_description=The+user+denied&state=x");
  EXPECT_EQ(e.error, "access_denied");
  EXPECT_EQ(e.error_description, "The user denied");
  EXPECT_EQ(e.code, "");
}

}  // namespace
