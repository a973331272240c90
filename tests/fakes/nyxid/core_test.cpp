// The fake's building blocks: edit limiter (injected clock), key store (sign, verify, rotate),
// form decoding, and the inbound driver's callbacks checked with the plugin's own verifier.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "nyxid/proto/callback_verify.hpp"
#include "nyxid/proto/jwks.hpp"

namespace fakes_nyxid_test {
namespace {

namespace pn = patchbay::plugins::nyxid;

TEST(EditLimiter, BurstThenRefillAtTheConfiguredRate) {
  nx::edit_limiter l(10, 20);
  std::int64_t t = 1000;
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(l.allow("om_1", t)) << i;
  EXPECT_FALSE(l.allow("om_1", t));
  EXPECT_TRUE(l.allow("om_2", t));  // per message
  t += 99;
  EXPECT_FALSE(l.allow("om_1", t));  // 0.99 token
  t += 1;
  EXPECT_TRUE(l.allow("om_1", t));  // 10/s: one token per 100 ms
  EXPECT_FALSE(l.allow("om_1", t));
  t += 10'000;
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(l.allow("om_1", t)) << i;  // capped at the burst
  EXPECT_FALSE(l.allow("om_1", t));
}

TEST(EditLimiter, BoundedAndDisableable) {
  nx::edit_limiter l(10, 2, 3);
  for (const char* k : {"a", "b", "c"}) EXPECT_TRUE(l.allow(k, 0));
  EXPECT_FALSE(l.allow("d", 0));    // every bucket live: refuse rather than grow
  EXPECT_TRUE(l.allow("d", 1000));  // full buckets are forgotten first
  EXPECT_LE(l.size(), 3u);
  l.configure(0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(l.allow("a", 0));
}

TEST(KeyStore, SignsVerifiesAndRotates) {
  nx::key_store ks("t");
  const std::string first = ks.active().kid;
  const std::string tok = ks.sign(json::object{{"a", 1}});
  auto v = ks.verify(tok);
  ASSERT_EQ(v.status, nx::key_store::verify_status::ok);
  EXPECT_EQ(v.claims.at("a").as_int64(), 1);
  std::string bad = tok;
  bad[bad.rfind('.') + 5] = bad[bad.rfind('.') + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ks.verify(bad).status, nx::key_store::verify_status::bad_signature);
  EXPECT_EQ(ks.verify("x.y").status, nx::key_store::verify_status::malformed);

  const std::string second = ks.rotate(true);
  EXPECT_NE(second, first);
  EXPECT_EQ(ks.published_kids().size(), 2u);
  EXPECT_EQ(ks.verify(tok).status, nx::key_store::verify_status::ok);  // old tokens stay valid
  ks.rotate(false, "ES256");
  EXPECT_EQ(ks.published_kids().size(), 1u);
  auto parsed = pn::parse_jwks(ks.jwks_json());
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->keys.size(), 1u);
  EXPECT_EQ(parsed->keys[0].type, pn::key_type::ec_p256);
  EXPECT_EQ(ks.verify(ks.sign(json::object{{"b", 2}})).status, nx::key_store::verify_status::ok);
  const auto& hidden = ks.unpublished();
  for (const auto& k : ks.published_kids()) EXPECT_NE(k, hidden.kid);
}

TEST(Ids, FormParamsDecode) {
  EXPECT_EQ(nx::form_param("a=1&redirect_uri=http%3A%2F%2Fx%2Fcb&s=a+b", "redirect_uri"),
            "http://x/cb");
  EXPECT_EQ(nx::form_param("a=1&s=a+b", "s"), "a b");
  EXPECT_FALSE(nx::form_param("a=1", "b"));
  EXPECT_EQ(nx::url_encode("a b/c"), "a%20b%2Fc");
}

// Verifies a delivery the way the plugin will (nyxid_proto), with the fake's published JWKS.
pn::callback_verdict verify(harness& h, const nx::delivery& d, pn::replay_guard& guard) {
  pn::jwks_cache cache;
  auto keys = pn::parse_jwks(h.fake.keys().jwks_json());
  EXPECT_TRUE(keys);
  cache.begin_fetch(h.now_ms);
  cache.on_fetched(keys->keys, h.now_ms);
  pn::callback_verify_config cfg;
  cfg.issuer = h.fake.issuer();
  pn::callback_request r{patchbay::kit::find_header(d.headers, "X-NyxID-Callback-Token"),
                         patchbay::kit::find_header(d.headers, "X-NyxID-Message-Id"), d.body};
  return pn::verify_callback(r, cfg, cache, guard, h.now_ms);
}

TEST(InboundDriver, GenuineCallbacksVerifyOnEveryPlatform) {
  harness h;
  pn::replay_guard guard;
  for (const char* platform : {"lark", "feishu", "telegram", "discord", "slack"}) {
    for (const char* type : {"dm", "group"}) {
      auto d = h.inject(json::object{{"platform", platform}, {"chat_type", type}, {"text", "hi"}});
      auto v = verify(h, d, guard);
      EXPECT_TRUE(v.ok()) << platform << " " << type << ": " << pn::to_string(v.reason);
      const auto body = obj(d.body);
      EXPECT_EQ(str(body, "correlation_id"), d.jti);
      EXPECT_EQ(str(body.at("conversation").as_object(), "type"), "private");  // route default
      EXPECT_FALSE(reply_token_of(d).empty());
      EXPECT_FALSE(patchbay::kit::find_header(d.headers, "X-NyxID-User-Token").empty());
      EXPECT_EQ(patchbay::kit::find_header(d.headers, "X-NyxID-Platform"), platform);
    }
  }
}

TEST(InboundDriver, EachForgeryFailsItsCheck) {
  harness h;
  const std::vector<std::pair<std::string, pn::callback_reject>> cases{
      {"expired", pn::callback_reject::expired},
      {"wrong_audience", pn::callback_reject::bad_audience},
      {"wrong_issuer", pn::callback_reject::bad_issuer},
      {"wrong_token_type", pn::callback_reject::bad_token_type},
      {"body_altered", pn::callback_reject::body_hash_mismatch},
      {"unknown_kid", pn::callback_reject::unknown_kid},
      {"bad_signature", pn::callback_reject::bad_signature},
      {"wrong_message_id", pn::callback_reject::message_id_header_mismatch},
      {"claim_message_id", pn::callback_reject::message_id_mismatch},
      {"wrong_api_key_id", pn::callback_reject::api_key_id_mismatch},
      {"wrong_platform", pn::callback_reject::platform_mismatch},
      {"jti_mismatch", pn::callback_reject::jti_mismatch},
      {"missing_token", pn::callback_reject::missing_token},
      {"missing_message_id_header", pn::callback_reject::missing_message_id_header},
  };
  for (const auto& [forge, want] : cases) {
    pn::replay_guard guard;
    auto d = h.inject(json::object{{"text", "hi"}, {"forge", forge}});
    auto v = verify(h, d, guard);
    EXPECT_FALSE(v.ok()) << forge;
    EXPECT_EQ(v.reason, want) << forge << " gave " << pn::to_string(v.reason);
  }
  pn::replay_guard guard;
  auto first = h.inject(json::object{{"text", "one"}});
  EXPECT_TRUE(verify(h, first, guard).ok());
  auto dup = h.inject(json::object{{"text", "two"}, {"forge", "duplicate_jti"}});
  EXPECT_EQ(dup.jti, first.jti);
  EXPECT_EQ(verify(h, dup, guard).reason, pn::callback_reject::replayed_jti);
  auto bare = h.inject(json::object{
      {"text", "x"}, {"forge", json::array{"missing_reply_token", "missing_user_token"}}});
  EXPECT_TRUE(reply_token_of(bare).empty());
  EXPECT_TRUE(patchbay::kit::find_header(bare.headers, "X-NyxID-User-Token").empty());
  auto [st, err] = h.req("POST", "/_fake/inject", R"({"forge":"nope"})");
  EXPECT_EQ(st, 400u);
}

}  // namespace
}  // namespace fakes_nyxid_test
