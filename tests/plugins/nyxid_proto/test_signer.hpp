// Test-only JOSE signer: RSA-2048 and EC P-256 keys generated at test time with OpenSSL, their
// JWKs, and compact JWS signing (RS256, ES256 as JOSE r||s). Keys are generated once per process
// and shared (RSA generation is the slow part). Not thread-safe beyond gtest's single thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

typedef struct evp_pkey_st EVP_PKEY;

namespace nyxid_test {

struct test_key {
  std::string kid;
  std::string alg;  // RS256 or ES256
  std::shared_ptr<EVP_PKEY> pkey;
};

// Fresh keys (cached by kid, so a test asking twice for "rsa-1" gets the same key).
const test_key& rsa_key(const std::string& kid);
const test_key& ec_key(const std::string& kid);

boost::json::object jwk(const test_key& key);
std::string jwks(const std::vector<const test_key*>& keys);

// Signs b64url(header) "." b64url(claims) with `key` using key.alg; `header` gets alg and kid
// unless it already has them.
std::string sign(const test_key& key, boost::json::object claims, boost::json::object header = {});
// Signs the given raw segments (already-serialized header/claims JSON).
std::string sign_raw(const test_key& key, std::string_view header_json,
                     std::string_view claims_json);
// A token with an arbitrary (unsigned/garbage) signature segment.
std::string unsigned_token(std::string_view header_json, std::string_view claims_json,
                           std::string_view signature = {});

}  // namespace nyxid_test
