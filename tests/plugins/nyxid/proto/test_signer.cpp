#include "test_signer.hpp"

#include <map>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "patchbay/common/base64.hpp"

namespace nyxid_test {
namespace signer = patchbay::fakes::nyxid;
namespace {

const test_key& cached(const std::string& kid, std::string_view alg) {
  static std::map<std::string, test_key> keys;
  auto it = keys.find(kid);
  if (it != keys.end()) return it->second;
  return keys.emplace(kid, signer::make_signing_key(kid, alg)).first->second;
}

}  // namespace

const test_key& rsa_key(const std::string& kid) { return cached(kid, "RS256"); }
const test_key& ec_key(const std::string& kid) { return cached(kid, "ES256"); }

boost::json::object jwk(const test_key& key) { return signer::public_jwk(key); }

std::string jwks(const std::vector<const test_key*>& keys) {
  boost::json::array a;
  for (const test_key* k : keys) a.push_back(jwk(*k));
  boost::json::object o;
  o["keys"] = std::move(a);
  return boost::json::serialize(o);
}

std::string sign_raw(const test_key& key, std::string_view header_json,
                     std::string_view claims_json) {
  return signer::sign_compact(key, header_json, claims_json);
}

std::string sign(const test_key& key, boost::json::object claims, boost::json::object header) {
  return signer::sign_jwt(key, claims, std::move(header));
}

std::string unsigned_token(std::string_view header_json, std::string_view claims_json,
                           std::string_view signature) {
  return patchbay::common::base64url_encode(header_json) + "." +
         patchbay::common::base64url_encode(claims_json) + "." +
         patchbay::common::base64url_encode(signature);
}

}  // namespace nyxid_test
