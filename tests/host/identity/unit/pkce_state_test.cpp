// PKCE (RFC 7636 Appendix B vector) and the signed, expiring OAuth state: round trip, expiry,
// tampering, wrong key, malformed input.
#include <gtest/gtest.h>

#include "identity/pkce.hpp"
#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"

namespace {
using namespace patchbay::identity;

constexpr const char* secret = "0123456789abcdef-state-secret";

TEST(Pkce, Rfc7636AppendixBVector) {
  EXPECT_EQ(pkce_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(Pkce, VerifierSyntax) {
  EXPECT_TRUE(pkce_verifier_valid("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
  EXPECT_FALSE(pkce_verifier_valid(std::string(42, 'a')));
  EXPECT_TRUE(pkce_verifier_valid(std::string(128, '~')));
  EXPECT_FALSE(pkce_verifier_valid(std::string(129, 'a')));
  EXPECT_FALSE(pkce_verifier_valid(std::string(42, 'a') + "+"));
}

TEST(Pkce, DerivedVerifierIsValidStableAndKeyed) {
  const std::string v = pkce_verifier_for(secret, "nonce-1");
  EXPECT_TRUE(pkce_verifier_valid(v)) << v;
  EXPECT_EQ(v, pkce_verifier_for(secret, "nonce-1"));
  EXPECT_NE(v, pkce_verifier_for(secret, "nonce-2"));
  EXPECT_NE(v, pkce_verifier_for("another-secret-0123456789", "nonce-1"));
}

TEST(Pkce, RandomTokensDiffer) {
  const std::string a = random_token(), b = random_token();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

state_claims sample(std::int64_t exp = 1'000'300) {
  return state_claims{"nyxid", "lark:chan-1:ou_abc", "n0nce", exp};
}

TEST(SignedState, RoundTrip) {
  const std::string token = sign_state(sample(), secret);
  state_claims out;
  ASSERT_EQ(verify_state(token, secret, 1'000'000, out), state_check::ok);
  EXPECT_EQ(out.provider, "nyxid");
  EXPECT_EQ(out.subject_key, "lark:chan-1:ou_abc");
  EXPECT_EQ(out.nonce, "n0nce");
  EXPECT_EQ(out.expires_unix_s, 1'000'300);
  // The verifier is not in the state in clear.
  EXPECT_EQ(token.find(pkce_verifier_for(secret, "n0nce")), std::string::npos);
}

TEST(SignedState, ExpiresAfterItsDeadline) {
  const std::string token = sign_state(sample(1'000'300), secret);
  state_claims out;
  EXPECT_EQ(verify_state(token, secret, 1'000'300, out), state_check::ok);
  EXPECT_EQ(verify_state(token, secret, 1'000'301, out), state_check::expired);
}

TEST(SignedState, WrongKeyIsBadSignature) {
  const std::string token = sign_state(sample(), secret);
  state_claims out;
  EXPECT_EQ(verify_state(token, "another-secret-0123456789", 1'000'000, out),
            state_check::bad_signature);
}

TEST(SignedState, TamperedPayloadIsRefused) {
  const std::string token = sign_state(sample(), secret);
  const auto dot = token.find('.');
  // Someone else's key, re-encoded with the original signature.
  state_claims other = sample();
  other.subject_key = "lark:chan-1:ou_attacker";
  const std::string forged_payload =
      sign_state(other, "guessed-key-0123456789")
          .substr(0, sign_state(other, "guessed-key-0123456789").find('.'));
  state_claims out;
  EXPECT_EQ(verify_state(forged_payload + token.substr(dot), secret, 1'000'000, out),
            state_check::bad_signature);
  // A flipped character in the signature.
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_NE(verify_state(flipped, secret, 1'000'000, out), state_check::ok);
  // An expiry pushed into the future is a different payload: refused too.
  EXPECT_EQ(verify_state(sign_state(sample(9'999'999), "x-0123456789abcdef").substr(0, dot) +
                             token.substr(dot),
                         secret, 1'000'000, out),
            state_check::bad_signature);
}

TEST(SignedState, MalformedInput) {
  state_claims out;
  EXPECT_EQ(verify_state("", secret, 0, out), state_check::malformed);
  EXPECT_EQ(verify_state("no-dot", secret, 0, out), state_check::malformed);
  EXPECT_EQ(verify_state("abc.!!!", secret, 0, out), state_check::malformed);
  EXPECT_EQ(verify_state(std::string(5000, 'a') + ".b", secret, 0, out), state_check::malformed);
  // Correctly signed, but not the claims' JSON.
  const std::string payload = patchbay::common::base64url_encode("[1,2]");
  const std::string sig = patchbay::common::base64url_encode(patchbay::common::hmac_sha256(
      patchbay::common::hmac_sha256(secret, "patchbay identity state v1"), payload));
  EXPECT_EQ(verify_state(payload + "." + sig, secret, 0, out), state_check::malformed);
}

}  // namespace
