// verify_callback(): a genuine NyxID callback (RS256 and ES256, keys generated at test time) is
// accepted, and each check of docs/protocols/nyxid-relay.md §1.3 refuses alone, with its own
// reason.
#include <gtest/gtest.h>

#include <functional>

#include <boost/json/serialize.hpp>

#include "nyxid/proto/callback_verify.hpp"
#include "nyxid/proto/jwks.hpp"
#include "patchbay/common/digest.hpp"
#include "test_signer.hpp"

namespace {

namespace nyx = patchbay::plugins::nyxid;
namespace json = boost::json;
using nyx::callback_reject;
using nyxid_test::ec_key;
using nyxid_test::rsa_key;

constexpr int64_t t0_s = 1'780'000'000;
constexpr const char* issuer = "https://nyx.example.test";

struct delivery {
  std::string token;
  std::string header_message_id;
  std::string body;
};

class callback_verify : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.issuer = issuer;
    load_keys({&rsa_key("rsa-1"), &ec_key("ec-1")});
  }

  void load_keys(const std::vector<const nyxid_test::test_key*>& keys) {
    auto parsed = nyx::parse_jwks(nyxid_test::jwks(keys));
    ASSERT_TRUE(parsed);
    cache_.begin_fetch(now_ms_);
    cache_.on_fetched(parsed->keys, now_ms_);
  }

  static json::object body() {
    return json::object{
        {"message_id", "msg-uuid-1"},
        {"correlation_id", "jti-1"},
        {"platform", "lark"},
        {"reply_token", "eyJreply.token.x"},
        {"agent", {{"api_key_id", "key-1"}, {"name", "bot"}}},
        {"conversation", {{"id", "route-1"}, {"platform_id", "oc_1"}, {"type", "private"}}},
        {"sender", {{"platform_id", "ou_1"}}},
        {"content", {{"type", "text"}, {"text", "hello"}}},
        {"timestamp", "2026-06-01T00:00:00Z"}};
  }

  static json::object claims(const std::string& body_bytes) {
    return json::object{
        {"iss", issuer},         {"aud", "channel-relay/callback"},
        {"exp", t0_s + 300},     {"iat", t0_s},
        {"jti", "jti-1"},        {"token_type", "relay_callback"},
        {"api_key_id", "key-1"}, {"message_id", "msg-uuid-1"},
        {"platform", "lark"},    {"body_sha256", patchbay::common::sha256_hex(body_bytes)}};
  }

  // A genuine delivery, then optionally altered: the body before hashing, the claims before
  // signing, and the finished delivery.
  delivery make(const std::function<void(json::object&)>& edit_body = {},
                const std::function<void(json::object&)>& edit_claims = {},
                const nyxid_test::test_key* key = nullptr) {
    json::object b = body();
    if (edit_body) edit_body(b);
    delivery d;
    d.body = json::serialize(b);
    json::object c = claims(d.body);
    if (edit_claims) edit_claims(c);
    d.token = nyxid_test::sign(key ? *key : rsa_key("rsa-1"), c);
    d.header_message_id = "msg-uuid-1";
    return d;
  }

  nyx::callback_verdict verify(const delivery& d) {
    return nyx::verify_callback({d.token, d.header_message_id, d.body}, config_, cache_, replay_,
                                now_ms_);
  }
  callback_reject reason(const delivery& d) { return verify(d).reason; }

  int64_t now_ms_ = t0_s * 1000 + 5'000;
  nyx::callback_verify_config config_;
  nyx::jwks_cache cache_;
  nyx::replay_guard replay_;
};

TEST_F(callback_verify, genuine_rs256_and_es256_callbacks_pass) {
  auto v = verify(make());
  EXPECT_TRUE(v.ok()) << nyx::to_string(v.reason);
  EXPECT_EQ(v.http_status(), 202);
  auto e = verify(make(
      {}, [](json::object& c) { c["jti"] = "jti-2"; }, &ec_key("ec-1")));
  // jti-2 must match the body's correlation id too.
  EXPECT_EQ(e.reason, callback_reject::jti_mismatch);
  auto ok = verify(make([](json::object& b) { b["correlation_id"] = "jti-2"; },
                        [](json::object& c) { c["jti"] = "jti-2"; }, &ec_key("ec-1")));
  EXPECT_TRUE(ok.ok()) << nyx::to_string(ok.reason);
}

TEST_F(callback_verify, each_claim_check_fails_alone) {
  struct claim_case {
    const char* name;
    std::function<void(json::object&)> edit;
    callback_reject want;
  };
  const std::vector<claim_case> cases = {
      {"iss", [](json::object& c) { c["iss"] = "https://evil.test"; }, callback_reject::bad_issuer},
      {"iss missing", [](json::object& c) { c.erase("iss"); }, callback_reject::bad_issuer},
      {"aud", [](json::object& c) { c["aud"] = "channel-relay/reply"; },
       callback_reject::bad_audience},
      {"exp past leeway", [](json::object& c) { c["exp"] = t0_s - 61; }, callback_reject::expired},
      {"exp missing", [](json::object& c) { c.erase("exp"); }, callback_reject::missing_time_claim},
      {"exp string", [](json::object& c) { c["exp"] = "1780000300"; },
       callback_reject::missing_time_claim},
      {"iat missing", [](json::object& c) { c.erase("iat"); }, callback_reject::missing_time_claim},
      {"iat future", [](json::object& c) { c["iat"] = t0_s + 120; },
       callback_reject::issued_in_future},
      {"nbf future", [](json::object& c) { c["nbf"] = t0_s + 120; },
       callback_reject::not_yet_valid},
      {"token_type", [](json::object& c) { c["token_type"] = "relay_reply"; },
       callback_reject::bad_token_type},
      {"api_key_id", [](json::object& c) { c["api_key_id"] = "key-2"; },
       callback_reject::api_key_id_mismatch},
      {"message_id", [](json::object& c) { c["message_id"] = "msg-uuid-2"; },
       callback_reject::message_id_mismatch},
      {"platform", [](json::object& c) { c["platform"] = "telegram"; },
       callback_reject::platform_mismatch},
      {"jti", [](json::object& c) { c["jti"] = "jti-other"; }, callback_reject::jti_mismatch},
      {"body_sha256", [](json::object& c) { c["body_sha256"] = std::string(64, 'a'); },
       callback_reject::body_hash_mismatch},
      {"body_sha256 missing", [](json::object& c) { c.erase("body_sha256"); },
       callback_reject::body_hash_mismatch},
  };
  for (const auto& tc : cases) {
    const auto v = verify(make({}, tc.edit));
    EXPECT_EQ(v.reason, tc.want) << tc.name << ": got " << nyx::to_string(v.reason);
    EXPECT_EQ(v.http_status(), 401) << tc.name;
    EXPECT_FALSE(v.refetch_jwks) << tc.name;
  }
  // None of those recorded its jti: the genuine delivery still passes.
  EXPECT_TRUE(verify(make()).ok());
}

TEST_F(callback_verify, leeway_and_tolerated_variants_pass) {
  // Expired 30 s ago: within the 60 s skew.
  EXPECT_TRUE(verify(make([](json::object& b) { b["correlation_id"] = "a"; },
                          [](json::object& c) {
                            c["jti"] = "a";
                            c["exp"] = t0_s - 25;
                          }))
                  .ok());
  // aud as an array; platform in another case; uppercase hex hash.
  EXPECT_TRUE(verify(make(
                         [](json::object& b) {
                           b["correlation_id"] = "b";
                           b["platform"] = "Lark";
                         },
                         [](json::object& c) {
                           c["jti"] = "b";
                           c["aud"] = json::array{"x", "channel-relay/callback"};
                           std::string h(c["body_sha256"].as_string());
                           for (char& ch : h) ch = static_cast<char>(std::toupper(ch));
                           c["body_sha256"] = h;
                         }))
                  .ok());
}

TEST_F(callback_verify, header_and_body_checks) {
  auto d = make();
  d.header_message_id = "msg-uuid-9";
  EXPECT_EQ(reason(d), callback_reject::message_id_header_mismatch);
  d.header_message_id.clear();
  EXPECT_EQ(reason(d), callback_reject::missing_message_id_header);
  config_.require_message_id_header = false;
  EXPECT_TRUE(verify(d).ok());

  // Body altered after signing (still valid JSON with the same ids): only the hash notices.
  auto altered = make([](json::object& b) { b["correlation_id"] = "jti-3"; },
                      [](json::object& c) { c["jti"] = "jti-3"; });
  altered.body.insert(altered.body.size() - 1, ",\"x\":1");
  EXPECT_EQ(reason(altered), callback_reject::body_hash_mismatch);
  // Body agent id differs from the claim.
  EXPECT_EQ(reason(make([](json::object& b) { b["agent"].as_object()["api_key_id"] = "k2"; })),
            callback_reject::api_key_id_mismatch);

  auto missing = make();
  missing.token.clear();
  EXPECT_EQ(reason(missing), callback_reject::missing_token);

  config_.expected_api_key_id = "key-other";
  EXPECT_EQ(reason(make()), callback_reject::unexpected_api_key_id);
  config_.expected_api_key_id = "key-1";
  config_.max_lifetime_s = 100;
  EXPECT_EQ(reason(make()), callback_reject::lifetime_too_long);
  config_.max_lifetime_s = 0;
  config_.max_body_bytes = 10;
  const auto big = verify(make());
  EXPECT_EQ(big.reason, callback_reject::body_too_large);
  EXPECT_EQ(big.http_status(), 400);
}

TEST_F(callback_verify, authentic_non_json_body_is_400_forged_one_401) {
  const std::string raw = "not json {";
  json::object c = claims(raw);
  delivery d{nyxid_test::sign(rsa_key("rsa-1"), c), "msg-uuid-1", raw};
  const auto v = verify(d);
  EXPECT_EQ(v.reason, callback_reject::body_not_json);
  EXPECT_EQ(v.http_status(), 400);
  d.body = "not json }";
  EXPECT_EQ(verify(d).http_status(), 401);
  EXPECT_EQ(reason(d), callback_reject::body_hash_mismatch);
}

TEST_F(callback_verify, wrong_key_kid_and_algorithm_confusion) {
  // Signed by another RSA key under the known kid.
  json::object c = claims(json::serialize(body()));
  EXPECT_EQ(reason({nyxid_test::sign(rsa_key("rsa-other"), c, {{"kid", "rsa-1"}}), "msg-uuid-1",
                    json::serialize(body())}),
            callback_reject::bad_signature);
  // ES256 header naming the RSA key (signed with an EC key).
  EXPECT_EQ(reason({nyxid_test::sign(ec_key("ec-1"), c, {{"kid", "rsa-1"}}), "msg-uuid-1",
                    json::serialize(body())}),
            callback_reject::alg_key_mismatch);
  // RS256 header naming the EC key.
  EXPECT_EQ(reason({nyxid_test::sign(rsa_key("rsa-1"), c, {{"kid", "ec-1"}}), "msg-uuid-1",
                    json::serialize(body())}),
            callback_reject::alg_key_mismatch);
  // HS256 "keyed" with the public key, and none.
  const std::string cj = json::serialize(c);
  EXPECT_EQ(reason({nyxid_test::unsigned_token(R"({"alg":"HS256","kid":"rsa-1"})", cj, "mac"),
                    "msg-uuid-1", json::serialize(body())}),
            callback_reject::alg_not_allowed);
  EXPECT_EQ(reason({nyxid_test::unsigned_token(R"({"alg":"none","kid":"rsa-1"})", cj, "x"),
                    "msg-uuid-1", json::serialize(body())}),
            callback_reject::alg_not_allowed);
  EXPECT_EQ(reason({nyxid_test::unsigned_token(R"({"alg":"none"})", cj), "msg-uuid-1",
                    json::serialize(body())}),
            callback_reject::malformed_token);
  // No kid.
  EXPECT_EQ(reason({nyxid_test::sign_raw(rsa_key("rsa-1"), R"({"alg":"RS256"})", cj), "msg-uuid-1",
                    json::serialize(body())}),
            callback_reject::missing_kid);
  // Tampered claims after signing.
  auto d = make();
  d.token[d.token.find('.') + 5] ^= 1;
  const auto r = reason(d);
  EXPECT_TRUE(r == callback_reject::bad_signature || r == callback_reject::malformed_token)
      << nyx::to_string(r);
}

TEST_F(callback_verify, unknown_kid_asks_for_one_refetch_per_interval) {
  const auto d = make({}, {}, &rsa_key("rsa-rotated"));
  // The keys were loaded at now_ms_ - 0: the 10 s pace is not over yet.
  auto v = verify(d);
  EXPECT_EQ(v.reason, callback_reject::unknown_kid);
  EXPECT_FALSE(v.refetch_jwks);
  now_ms_ += 10'000;
  v = verify(d);
  EXPECT_TRUE(v.refetch_jwks);
  // The plugin fetches the rotated set; the callback then passes.
  cache_.begin_fetch(now_ms_);
  EXPECT_FALSE(verify(d).refetch_jwks);  // one at a time
  auto rotated = nyx::parse_jwks(nyxid_test::jwks({&rsa_key("rsa-rotated")}));
  cache_.on_fetched(rotated->keys, now_ms_);
  // iat/exp are still within the token's lifetime (t0 + 15 s).
  EXPECT_TRUE(verify(d).ok());
  // The old key is gone after rotation.
  EXPECT_EQ(reason(make([](json::object& b) { b["correlation_id"] = "z"; },
                        [](json::object& c) { c["jti"] = "z"; })),
            callback_reject::unknown_kid);
}

TEST_F(callback_verify, no_keys_and_expired_keys) {
  nyx::jwks_cache empty;
  const auto d = make();
  auto v = nyx::verify_callback({d.token, d.header_message_id, d.body}, config_, empty, replay_,
                                now_ms_);
  EXPECT_EQ(v.reason, callback_reject::keys_unavailable);
  EXPECT_TRUE(v.refetch_jwks);
  // Keys older than their TTL are not trusted.
  now_ms_ += 300'000;
  EXPECT_EQ(reason(d), callback_reject::keys_unavailable);
}

TEST_F(callback_verify, replayed_jti_is_refused) {
  const auto d = make();
  EXPECT_TRUE(verify(d).ok());
  const auto again = verify(d);
  EXPECT_EQ(again.reason, callback_reject::replayed_jti);
  EXPECT_EQ(again.http_status(), 401);
  // Still refused just before the token expires (it is remembered at least until exp + leeway).
  now_ms_ = (t0_s + 300 + 59) * 1000;
  load_keys({&rsa_key("rsa-1")});  // keep the keys fresh; only the replay window is under test
  EXPECT_EQ(reason(d), callback_reject::replayed_jti);
  // Past that, the lifetime check refuses it instead.
  now_ms_ = (t0_s + 300 + 61) * 1000;
  EXPECT_EQ(reason(d), callback_reject::expired);
}

TEST_F(callback_verify, reasons_never_echo_the_token_or_body) {
  const auto d = make();
  for (int r = 0; r <= static_cast<int>(callback_reject::replay_window_full); ++r) {
    const std::string text = nyx::to_string(static_cast<callback_reject>(r));
    EXPECT_NE(text, "unknown");
    EXPECT_EQ(text.find("eyJ"), std::string::npos);
    EXPECT_EQ(d.token.find(text), std::string::npos);
  }
}

}  // namespace
