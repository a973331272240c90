// Test-only JOSE signer: RSA-2048 and EC P-256 keys generated at test time, their JWKs, and
// compact JWS signing (RS256, ES256 as JOSE r||s) — the fake NyxID's signer
// (tools/fakes/nyxid/jose_signer.hpp) with a per-process key cache and the helpers the tests
// need for forged tokens. Keys are generated once per process and shared (RSA generation is the
// slow part). Not thread-safe beyond gtest's single thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "jose_signer.hpp"

namespace nyxid_test {

// {kid, alg ("RS256"/"ES256"), pkey} (aggregate; `published` is unused here).
using test_key = patchbay::fakes::nyxid::signing_key;

// Fresh keys (cached by kid, so a test asking twice for "rsa-1" gets the same key).
const test_key& rsa_key(const std::string& kid);
const test_key& ec_key(const std::string& kid);

boost::json::object jwk(const test_key& key);
std::string jwks(const std::vector<const test_key*>& keys);

// Signs b64url(header) "." b64url(claims) with `key` using key.alg; `header` gets alg, kid and
// typ unless it already has them.
std::string sign(const test_key& key, boost::json::object claims, boost::json::object header = {});
// Signs the given raw segments (already-serialized header/claims JSON).
std::string sign_raw(const test_key& key, std::string_view header_json,
                     std::string_view claims_json);
// A token with an arbitrary (unsigned/garbage) signature segment.
std::string unsigned_token(std::string_view header_json, std::string_view claims_json,
                           std::string_view signature = {});

}  // namespace nyxid_test
