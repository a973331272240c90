// POST /v1/turns/<turn>/responses over kit::http_request (api/turn_responses_route.hpp): the
// registry's outcomes as HTTP answers, the Bearer parsing, the percent-decoded turn id, and the
// route kept out of the API tokens' screen.
#include <gtest/gtest.h>

#include "api/auth.hpp"
#include "api/turn_responses_route.hpp"

namespace {
using namespace patchbay;

kit::http_request post(const std::string& path, const std::string& token, std::string body) {
  kit::http_request r;
  r.method = "POST";
  r.target = path;
  r.path = path;
  r.body = std::move(body);
  if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer  " + token);
  return r;
}

TEST(TurnResponsesRoute, AnswersEachOutcome) {
  auto reg = agents::make_local_turn_callbacks();
  const std::string tok = agents::new_callback_token();
  std::vector<std::string> got;
  reg->add("fs:ev/1", tok, [&](std::string p) { got.push_back(std::move(p)); });
  const std::string path = "/v1/turns/fs%3Aev%2F1/responses";

  auto r = api::turn_responses_response(reg.get(), post(path, tok, R"({"delta":"a"})"));
  EXPECT_EQ(r.status, 202U);
  EXPECT_EQ(r.body, R"({"accepted":1})");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_NE(got[0].find(R"("turn":"fs:ev/1")"), std::string::npos) << got[0];

  r = api::turn_responses_response(reg.get(), post(path, "", R"({"delta":"a"})"));
  EXPECT_EQ(r.status, 401U);
  EXPECT_EQ(kit::find_header(r.headers, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(api::turn_responses_response(reg.get(), post(path, "x" + tok, "{}")).status, 401U);
  EXPECT_EQ(
      api::turn_responses_response(reg.get(), post("/v1/turns/zz/responses", tok, "{}")).status,
      404U);
  EXPECT_EQ(
      api::turn_responses_response(reg.get(), post("/v1/turns/%zz/responses", tok, "{}")).status,
      404U);
  r = api::turn_responses_response(reg.get(), post(path, tok, R"({"delta":1})"));
  EXPECT_EQ(r.status, 400U);
  EXPECT_NE(r.body.find("invalid_payload"), std::string::npos);
  EXPECT_EQ(r.body.find(tok), std::string::npos);
  auto get = post(path, tok, "");
  get.method = "GET";
  EXPECT_EQ(api::turn_responses_response(reg.get(), get).status, 405U);

  EXPECT_EQ(api::turn_responses_response(reg.get(), post(path, tok, R"({"done":true})")).status,
            202U);
  EXPECT_EQ(api::turn_responses_response(reg.get(), post(path, tok, R"({"done":true})")).status,
            410U);
  reg->close();
  r = api::turn_responses_response(reg.get(), post(path, tok, R"({"done":true})"));
  EXPECT_EQ(r.status, 503U);
  EXPECT_EQ(kit::find_header(r.headers, "Retry-After"), "5");
  // No registry on this host: every turn is unknown.
  EXPECT_EQ(api::turn_responses_response(nullptr, post(path, tok, "{}")).status, 404U);
}

TEST(TurnResponsesRoute, IsNotBehindTheApiTokens) {
  EXPECT_TRUE(api::is_turn_responses_path("/v1/turns/abc/responses"));
  EXPECT_FALSE(api::is_turn_responses_path("/v1/turns//responses"));
  EXPECT_FALSE(api::is_turn_responses_path("/v1/turns/a/b/responses"));
  EXPECT_FALSE(api::is_turn_responses_path("/v1/turns/abc"));
  EXPECT_FALSE(api::is_turn_responses_path("/v1/chat"));
  EXPECT_EQ(api::bearer_credential("bearer   abc"), "abc");
  EXPECT_EQ(api::bearer_credential("Basic abc"), "");
  EXPECT_EQ(api::bearer_credential("Bearer"), "");
}

}  // namespace
