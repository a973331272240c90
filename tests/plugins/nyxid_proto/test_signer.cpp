#include "test_signer.hpp"

#include <map>
#include <stdexcept>

#include <boost/json/serialize.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "nyxid_proto/base64url.hpp"
#include "nyxid_proto/jws.hpp"

namespace nyxid_test {
namespace nyx = patchbay::plugins::nyxid;
namespace {

std::string bn_param(EVP_PKEY* k, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) throw std::runtime_error("get_bn_param");
  const int len = pad > 0 ? pad : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(len), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len);
  BN_free(bn);
  return out;
}

const test_key& cached(const std::string& kid, bool rsa) {
  static std::map<std::string, test_key> keys;
  auto it = keys.find(kid);
  if (it != keys.end()) return it->second;
  EVP_PKEY* k = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  if (!k) throw std::runtime_error("keygen");
  test_key t{kid, rsa ? "RS256" : "ES256", std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free)};
  return keys.emplace(kid, std::move(t)).first->second;
}

}  // namespace

const test_key& rsa_key(const std::string& kid) { return cached(kid, true); }
const test_key& ec_key(const std::string& kid) { return cached(kid, false); }

boost::json::object jwk(const test_key& key) {
  boost::json::object o;
  o["kid"] = key.kid;
  o["use"] = "sig";
  o["alg"] = key.alg;
  if (key.alg == "RS256") {
    o["kty"] = "RSA";
    o["n"] = nyx::base64url_encode(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_RSA_N));
    o["e"] = nyx::base64url_encode(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_RSA_E));
  } else {
    o["kty"] = "EC";
    o["crv"] = "P-256";
    o["x"] = nyx::base64url_encode(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32));
    o["y"] = nyx::base64url_encode(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32));
  }
  return o;
}

std::string jwks(const std::vector<const test_key*>& keys) {
  boost::json::array a;
  for (const test_key* k : keys) a.push_back(jwk(*k));
  boost::json::object o;
  o["keys"] = std::move(a);
  return boost::json::serialize(o);
}

std::string sign_raw(const test_key& key, std::string_view header_json,
                     std::string_view claims_json) {
  const std::string input =
      nyx::base64url_encode(header_json) + "." + nyx::base64url_encode(claims_json);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key.pkey.get()) != 1 ||
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    throw std::runtime_error("sign init");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::runtime_error("sign");
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  if (key.alg == "ES256") {
    auto jose = nyx::ecdsa_der_to_jose(sig);
    if (!jose) throw std::runtime_error("der_to_jose");
    sig = *jose;
  }
  return input + "." + nyx::base64url_encode(sig);
}

std::string sign(const test_key& key, boost::json::object claims, boost::json::object header) {
  if (!header.contains("alg")) header["alg"] = key.alg;
  if (!header.contains("kid")) header["kid"] = key.kid;
  if (!header.contains("typ")) header["typ"] = "JWT";
  return sign_raw(key, boost::json::serialize(header), boost::json::serialize(claims));
}

std::string unsigned_token(std::string_view header_json, std::string_view claims_json,
                           std::string_view signature) {
  return nyx::base64url_encode(header_json) + "." + nyx::base64url_encode(claims_json) + "." +
         nyx::base64url_encode(signature);
}

}  // namespace nyxid_test
