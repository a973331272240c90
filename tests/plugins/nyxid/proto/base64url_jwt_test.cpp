// base64url strictness and compact-JWS parsing bounds.
#include <gtest/gtest.h>

#include "nyxid/proto/jwt.hpp"
#include "patchbay/common/base64.hpp"

namespace {

namespace nyx = patchbay::plugins::nyxid;
using nyx::jwt_parse_error;

TEST(jwt, parses_a_compact_jws) {
  const std::string token =
      patchbay::common::base64url_encode(R"({"alg":"RS256","kid":"k1","typ":"JWT"})") + "." +
      patchbay::common::base64url_encode(R"({"sub":"x","n":1})") + "." +
      patchbay::common::base64url_encode("sig");
  jwt_parse_error err;
  auto t = nyx::parse_jwt(token, {}, &err);
  ASSERT_TRUE(t);
  EXPECT_EQ(err, jwt_parse_error::none);
  EXPECT_EQ(t->alg, "RS256");
  EXPECT_EQ(t->kid, "k1");
  EXPECT_EQ(t->signature, "sig");
  EXPECT_EQ(t->signing_input, token.substr(0, token.rfind('.')));
  EXPECT_EQ(t->claims.at("n").as_int64(), 1);
}

TEST(jwt, refuses_malformed_tokens) {
  const std::string h = patchbay::common::base64url_encode(R"({"alg":"RS256"})");
  const std::string c = patchbay::common::base64url_encode(R"({"a":1})");
  const std::string s = patchbay::common::base64url_encode("sig");
  const std::pair<std::string, jwt_parse_error> cases[] = {
      {"", jwt_parse_error::bad_shape},
      {h + "." + c, jwt_parse_error::bad_shape},
      {h + "." + c + "." + s + "." + s, jwt_parse_error::bad_shape},
      {h + ".." + s, jwt_parse_error::bad_shape},
      {h + "." + c + ".", jwt_parse_error::bad_shape},
      {h + "=." + c + "." + s, jwt_parse_error::bad_base64},
      {h + "." + c + "." + s + "+", jwt_parse_error::bad_base64},
      {patchbay::common::base64url_encode("[1]") + "." + c + "." + s,
       jwt_parse_error::bad_header_json},
      {patchbay::common::base64url_encode("{") + "." + c + "." + s,
       jwt_parse_error::bad_header_json},
      {h + "." + patchbay::common::base64url_encode("\"str\"") + "." + s,
       jwt_parse_error::bad_claims_json},
      {patchbay::common::base64url_encode(R"({"kid":"k"})") + "." + c + "." + s,
       jwt_parse_error::missing_alg},
      {patchbay::common::base64url_encode(R"({"alg":7})") + "." + c + "." + s,
       jwt_parse_error::missing_alg},
      {patchbay::common::base64url_encode(R"({"alg":"RS256","crit":["b64"]})") + "." + c + "." + s,
       jwt_parse_error::crit_present},
  };
  for (const auto& [token, want] : cases) {
    jwt_parse_error err = jwt_parse_error::none;
    EXPECT_FALSE(nyx::parse_jwt(token, {}, &err)) << token;
    EXPECT_EQ(err, want) << token << ": " << nyx::to_string(err);
  }
}

TEST(jwt, enforces_size_bounds) {
  const std::string h = patchbay::common::base64url_encode(R"({"alg":"RS256"})");
  const std::string c = patchbay::common::base64url_encode(std::string(R"({"p":")") +
                                                           std::string(9000, 'x') + R"("})");
  jwt_parse_error err;
  EXPECT_FALSE(nyx::parse_jwt(h + "." + c + ".c2ln", {}, &err));
  EXPECT_EQ(err, jwt_parse_error::too_large);
  nyx::jwt_limits small_sig;
  small_sig.max_signature_bytes = 2;
  EXPECT_FALSE(nyx::parse_jwt(h + "." + h + ".c2ln", small_sig, &err));
  EXPECT_EQ(err, jwt_parse_error::too_large);
  // Deep nesting is refused by the JSON parser, not a stack overflow.
  const std::string deep =
      patchbay::common::base64url_encode(std::string(5000, '[') + std::string(5000, ']'));
  EXPECT_FALSE(nyx::parse_jwt(h + "." + deep + ".c2ln", nyx::jwt_limits{100000, 1024}, &err));
  EXPECT_EQ(err, jwt_parse_error::bad_claims_json);
}

}  // namespace
