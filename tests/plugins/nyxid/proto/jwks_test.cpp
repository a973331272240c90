// JWKS and OIDC discovery parsing, signature verification, the JWKS cache's fetch pacing on a
// fake clock, and the replay guard's bounds.
#include <gtest/gtest.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <boost/json/serialize.hpp>

#include "nyxid/proto/jwks.hpp"
#include "nyxid/proto/jwks_cache.hpp"
#include "nyxid/proto/jws.hpp"
#include "nyxid/proto/replay_guard.hpp"
#include "patchbay/common/base64.hpp"
#include "test_signer.hpp"

namespace {

namespace nyx = patchbay::plugins::nyxid;
namespace json = boost::json;
using nyxid_test::ec_key;
using nyxid_test::rsa_key;

std::string doc(json::array keys) { return json::serialize(json::object{{"keys", keys}}); }

TEST(jwks, parses_rsa_and_ec_keys) {
  auto r = nyx::parse_jwks(nyxid_test::jwks({&rsa_key("rsa-1"), &ec_key("ec-1")}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->keys.size(), 2u);
  EXPECT_EQ(r->skipped, 0u);
  EXPECT_EQ(r->keys[0].kid, "rsa-1");
  EXPECT_EQ(r->keys[0].type, nyx::key_type::rsa);
  EXPECT_EQ(r->keys[1].type, nyx::key_type::ec_p256);
  EXPECT_EQ(EVP_PKEY_get_bits(r->keys[0].pkey.get()), 2048);
  EXPECT_TRUE(EVP_PKEY_eq(r->keys[1].pkey.get(), ec_key("ec-1").pkey.get()) == 1);
}

TEST(jwks, skips_keys_it_cannot_trust) {
  json::object enc = nyxid_test::jwk(rsa_key("rsa-1"));
  enc["use"] = "enc";
  json::object no_kid = nyxid_test::jwk(rsa_key("rsa-2"));
  no_kid.erase("kid");
  json::object dup = nyxid_test::jwk(ec_key("ec-1"));
  dup["kid"] = "rsa-3";
  json::object off_curve = nyxid_test::jwk(ec_key("ec-2"));
  std::string y = *patchbay::common::base64url_decode(off_curve["y"].as_string());
  y[31] ^= 1;
  off_curve["y"] = patchbay::common::base64url_encode(y);
  json::object wrong_alg = nyxid_test::jwk(rsa_key("rsa-4"));
  wrong_alg["alg"] = "ES256";
  json::object oct{{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  json::object p384 = nyxid_test::jwk(ec_key("ec-3"));
  p384["crv"] = "P-384";
  EVP_PKEY* small = EVP_RSA_gen(1024);
  ASSERT_NE(small, nullptr);
  nyxid_test::test_key small_key{"rsa-small", "RS256", {small, EVP_PKEY_free}};
  json::object good = nyxid_test::jwk(rsa_key("rsa-3"));

  auto r = nyx::parse_jwks(doc({enc, no_kid, good, dup, off_curve, wrong_alg, oct, p384,
                                nyxid_test::jwk(small_key), "not an object"}));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->keys.size(), 1u);
  EXPECT_EQ(r->keys[0].kid, "rsa-3");
  EXPECT_EQ(r->skipped, 9u);
}

TEST(jwks, refuses_documents_that_are_not_jwks) {
  EXPECT_FALSE(nyx::parse_jwks("not json"));
  EXPECT_FALSE(nyx::parse_jwks("[]"));
  EXPECT_FALSE(nyx::parse_jwks(R"({"keys":{}})"));
  nyx::jwks_limits tiny;
  tiny.max_document_bytes = 10;
  EXPECT_FALSE(nyx::parse_jwks(R"({"keys":[]           })", tiny));
  auto empty = nyx::parse_jwks(R"({"keys":[]})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->keys.empty());
  // max_keys bounds the work per document.
  nyx::jwks_limits one;
  one.max_keys = 1;
  auto r = nyx::parse_jwks(nyxid_test::jwks({&rsa_key("rsa-1"), &ec_key("ec-1")}), one);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->keys.size(), 1u);
  EXPECT_EQ(r->skipped, 1u);
}

TEST(jwks, oidc_discovery) {
  auto d = nyx::parse_oidc_discovery(
      R"({"issuer":"https://nyx.test","jwks_uri":"https://nyx.test/.well-known/jwks.json","x":1})");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->issuer, "https://nyx.test");
  EXPECT_EQ(d->jwks_uri, "https://nyx.test/.well-known/jwks.json");
  EXPECT_TRUE(nyx::parse_oidc_discovery(R"({"issuer":"i","jwks_uri":"http://127.0.0.1:1/j"})"));
  EXPECT_FALSE(nyx::parse_oidc_discovery(R"({"issuer":"i"})"));
  EXPECT_FALSE(nyx::parse_oidc_discovery(R"({"issuer":"","jwks_uri":"https://a/b"})"));
  EXPECT_FALSE(nyx::parse_oidc_discovery(R"({"issuer":"i","jwks_uri":"file:///etc/x"})"));
  EXPECT_FALSE(nyx::parse_oidc_discovery("nope"));
}

TEST(jws, verifies_and_refuses) {
  auto keys = nyx::parse_jwks(nyxid_test::jwks({&rsa_key("rsa-1"), &ec_key("ec-1")}))->keys;
  const json::object claims{{"a", 1}};
  auto rs = nyx::parse_jwt(nyxid_test::sign(rsa_key("rsa-1"), claims));
  auto es = nyx::parse_jwt(nyxid_test::sign(ec_key("ec-1"), claims));
  ASSERT_TRUE(rs && es);
  EXPECT_EQ(nyx::verify_signature(*rs, keys[0]), nyx::sig_result::ok);
  EXPECT_EQ(nyx::verify_signature(*es, keys[1]), nyx::sig_result::ok);
  EXPECT_EQ(nyx::verify_signature(*rs, keys[1]), nyx::sig_result::alg_key_mismatch);
  EXPECT_EQ(nyx::verify_signature(*es, keys[0]), nyx::sig_result::alg_key_mismatch);
  auto bad = *es;
  bad.signature[10] ^= 1;
  EXPECT_EQ(nyx::verify_signature(bad, keys[1]), nyx::sig_result::bad_signature);
  bad.signature.resize(63);
  EXPECT_EQ(nyx::verify_signature(bad, keys[1]), nyx::sig_result::bad_signature);
  bad = *rs;
  bad.signing_input += "x";
  EXPECT_EQ(nyx::verify_signature(bad, keys[0]), nyx::sig_result::bad_signature);
  for (const char* alg : {"none", "HS256", "HS512", "PS256", "RS512", "ES384", "rs256"}) {
    auto t = *rs;
    t.alg = alg;
    EXPECT_EQ(nyx::verify_signature(t, keys[0]), nyx::sig_result::alg_not_allowed) << alg;
  }
}

TEST(jws, ecdsa_jose_der_round_trip) {
  std::string jose(64, '\0');
  jose[0] = '\x01';  // r = 2^248, s = 5 (leading zeros must survive the trip)
  jose[63] = '\x05';
  auto der = nyx::ecdsa_jose_to_der(jose);
  ASSERT_TRUE(der);
  EXPECT_EQ(nyx::ecdsa_der_to_jose(*der), jose);
  EXPECT_FALSE(nyx::ecdsa_jose_to_der(std::string(63, 'a')));
  EXPECT_FALSE(nyx::ecdsa_der_to_jose("\x30\x01"));
  EXPECT_FALSE(nyx::ecdsa_der_to_jose(*der + "x"));  // trailing garbage
}

TEST(jwks_cache, fetch_pacing_on_a_fake_clock) {
  nyx::jwks_cache c;  // TTL 300 s, unknown kid 10 s, stuck 60 s
  auto keys = nyx::parse_jwks(nyxid_test::jwks({&rsa_key("rsa-1")}))->keys;
  int64_t t = 1'000'000;
  EXPECT_TRUE(c.should_fetch(t));
  EXPECT_EQ(c.find("rsa-1", t).status, nyx::jwks_cache::lookup_status::no_keys);
  c.begin_fetch(t);
  EXPECT_FALSE(c.should_fetch(t));
  EXPECT_FALSE(c.on_unknown_kid(t + 20'000));  // one at a time
  c.on_fetched(keys, t + 100);
  EXPECT_EQ(c.find("rsa-1", t + 100).status, nyx::jwks_cache::lookup_status::found);
  EXPECT_EQ(c.find("other", t + 100).status, nyx::jwks_cache::lookup_status::unknown_kid);

  // Unknown kids: at most one refetch per 10 s, however many arrive.
  int granted = 0;
  for (int64_t ms = 0; ms < 60'000; ms += 250) {
    if (c.on_unknown_kid(t + ms)) {
      ++granted;
      c.begin_fetch(t + ms);
      c.on_fetch_failed(t + ms + 50);
    }
  }
  EXPECT_EQ(granted, 5);  // at 10, 20, 30, 40 and 50 s after the first start
  EXPECT_EQ(c.fetches_started(), 6u);
  // Failures kept the old keys.
  EXPECT_EQ(c.find("rsa-1", t + 60'000).status, nyx::jwks_cache::lookup_status::found);

  // Expiry: no key is trusted past the TTL; a refresh is due.
  const int64_t expired = t + 100 + 300'000;
  EXPECT_EQ(c.find("rsa-1", expired).status, nyx::jwks_cache::lookup_status::no_keys);
  EXPECT_TRUE(c.should_fetch(expired));
  // An empty fetch result counts as a failure and is retried at the pace.
  c.begin_fetch(expired);
  c.on_fetched({}, expired + 10);
  EXPECT_FALSE(c.should_fetch(expired + 5'000));
  EXPECT_TRUE(c.should_fetch(expired + 10'000));
  // A fetch that never reports back is forgotten after 60 s.
  c.begin_fetch(expired + 10'000);
  EXPECT_FALSE(c.should_fetch(expired + 69'999));
  EXPECT_TRUE(c.should_fetch(expired + 70'000));
  c.on_fetched(keys, expired + 70'000);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.find("rsa-1", expired + 70'000).status, nyx::jwks_cache::lookup_status::found);
}

TEST(replay_guard, window_pruning_and_bound) {
  nyx::replay_guard_config cfg;
  cfg.window_ms = 1'000;
  cfg.capacity = 3;
  nyx::replay_guard g(cfg);
  using r = nyx::replay_guard::result;
  EXPECT_EQ(g.record("a", 0, 0), r::fresh);
  EXPECT_EQ(g.record("a", 500, 0), r::replayed);
  EXPECT_EQ(g.record("b", 600, 5'000), r::fresh);  // kept until its exp
  EXPECT_EQ(g.record("c", 700, 0), r::fresh);
  EXPECT_EQ(g.record("d", 800, 0), r::full);  // fails closed
  EXPECT_EQ(g.size(), 3u);
  // "a" (until 1000) and "c" (until 1700) age out; "b" stays until 5000.
  EXPECT_EQ(g.record("d", 1'800, 0), r::fresh);
  EXPECT_EQ(g.record("a", 1'800, 0), r::fresh);  // "a" aged out of the window
  EXPECT_EQ(g.record("a", 1'900, 0), r::replayed);
}

TEST(replay_guard, refuses_empty_and_oversized_ids) {
  nyx::replay_guard g;
  EXPECT_EQ(g.check("", 0), nyx::replay_guard::result::invalid);
  EXPECT_EQ(g.check(std::string(257, 'x'), 0), nyx::replay_guard::result::invalid);
}

}  // namespace
