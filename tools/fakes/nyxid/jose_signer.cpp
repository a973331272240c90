#include "jose_signer.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <boost/json/serialize.hpp>

#include <stdexcept>

#include "nyxid/proto/jws.hpp"
#include "patchbay/common/base64.hpp"

namespace patchbay::fakes::nyxid {

namespace json = boost::json;
namespace nyx = patchbay::plugins::nyxid;

namespace {

std::string bn_param(EVP_PKEY* k, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) throw std::runtime_error("key parameter");
  const int len = pad > 0 ? pad : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(len), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len);
  BN_free(bn);
  return out;
}

std::string evp_sign(EVP_PKEY* key, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1)
    throw std::runtime_error("signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1)
    throw std::runtime_error("signing failed");
  sig.resize(len);
  return sig;
}

}  // namespace

signing_key make_signing_key(std::string kid, std::string_view alg) {
  const bool rsa = alg != "ES256";
  EVP_PKEY* k = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  if (!k) throw std::runtime_error("key generation failed");
  return signing_key{std::move(kid), rsa ? "RS256" : "ES256",
                     std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free), true};
}

json::object public_jwk(const signing_key& key) {
  json::object o;
  o["kid"] = key.kid;
  o["use"] = "sig";
  o["alg"] = key.alg;
  if (key.alg == "RS256") {
    o["kty"] = "RSA";
    o["n"] = patchbay::common::base64url_encode(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_RSA_N));
    o["e"] = patchbay::common::base64url_encode(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_RSA_E));
  } else {
    o["kty"] = "EC";
    o["crv"] = "P-256";
    o["x"] =
        patchbay::common::base64url_encode(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32));
    o["y"] =
        patchbay::common::base64url_encode(bn_param(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32));
  }
  return o;
}

std::string sign_compact(const signing_key& key, std::string_view header_json,
                         std::string_view claims_json) {
  const std::string input = patchbay::common::base64url_encode(header_json) + "." +
                            patchbay::common::base64url_encode(claims_json);
  std::string sig = evp_sign(key.pkey.get(), input);
  if (key.alg == "ES256") {
    auto jose = nyx::ecdsa_der_to_jose(sig);
    if (!jose) throw std::runtime_error("ES256 signature encoding");
    sig = std::move(*jose);
  }
  return input + "." + patchbay::common::base64url_encode(sig);
}

std::string sign_jwt(const signing_key& key, const json::object& claims, json::object header) {
  if (!header.contains("alg")) header["alg"] = key.alg;
  if (!header.contains("kid")) header["kid"] = key.kid;
  if (!header.contains("typ")) header["typ"] = "JWT";
  return sign_compact(key, json::serialize(header), json::serialize(claims));
}

}  // namespace patchbay::fakes::nyxid
