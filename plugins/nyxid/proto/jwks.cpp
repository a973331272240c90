#include "nyxid/proto/jwks.hpp"

#include <set>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "patchbay/common/base64.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::nyxid {
namespace json_util = patchbay::common::json_util;
using common::base64url_decode;
namespace {

struct bn_free {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct bld_free {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct params_free {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct ctx_free {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, ctx_free>;

std::shared_ptr<EVP_PKEY> from_params(const char* type, const OSSL_PARAM* params) {
  // Refused keys leave entries on the thread's OpenSSL error queue; they are answers here.
  struct clear_errors {
    ~clear_errors() { ERR_clear_error(); }
  } clear;
  ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) <= 0)
    return nullptr;
  std::shared_ptr<EVP_PKEY> key(raw, EVP_PKEY_free);
  ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) <= 0) return nullptr;
  return key;
}

}  // namespace

std::shared_ptr<EVP_PKEY> rsa_public_key(std::string_view n, std::string_view e) {
  if (n.empty() || e.empty() || e.size() > 8) return nullptr;
  std::unique_ptr<BIGNUM, bn_free> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                                                  static_cast<int>(n.size()), nullptr));
  std::unique_ptr<BIGNUM, bn_free> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                                                  static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e || BN_num_bits(bn_n.get()) < 2048 || BN_num_bits(bn_n.get()) > 8192)
    return nullptr;
  std::unique_ptr<OSSL_PARAM_BLD, bld_free> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
    return nullptr;
  std::unique_ptr<OSSL_PARAM, params_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return nullptr;
  return from_params("RSA", params.get());
}

std::shared_ptr<EVP_PKEY> ec_p256_public_key(std::string_view x, std::string_view y) {
  if (x.size() != 32 || y.size() != 32) return nullptr;
  std::string point;
  point.reserve(65);
  point += '\x04';  // uncompressed SEC1 point
  point.append(x);
  point.append(y);
  char group[] = "prime256v1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  return from_params("EC", params);
}

namespace {

std::optional<std::string> b64_member(const boost::json::object& o, std::string_view key) {
  const std::string_view s = json_util::string_at(o, key);
  if (s.empty()) return std::nullopt;
  return base64url_decode(s, 2048);
}

std::optional<public_key> parse_jwk(const boost::json::object& jwk) {
  const std::string_view use = json_util::string_at(jwk, "use");
  if (jwk.contains("use") && use != "sig") return std::nullopt;
  public_key k;
  k.kid = std::string(json_util::string_at(jwk, "kid"));
  k.alg = std::string(json_util::string_at(jwk, "alg"));
  if (k.kid.empty()) return std::nullopt;
  const std::string_view kty = json_util::string_at(jwk, "kty");
  if (kty == "RSA") {
    if (!k.alg.empty() && k.alg != "RS256") return std::nullopt;
    auto n = b64_member(jwk, "n");
    auto e = b64_member(jwk, "e");
    if (!n || !e) return std::nullopt;
    k.type = key_type::rsa;
    k.pkey = rsa_public_key(*n, *e);
  } else if (kty == "EC") {
    if (json_util::string_at(jwk, "crv") != "P-256") return std::nullopt;
    if (!k.alg.empty() && k.alg != "ES256") return std::nullopt;
    auto x = b64_member(jwk, "x");
    auto y = b64_member(jwk, "y");
    if (!x || !y) return std::nullopt;
    k.type = key_type::ec_p256;
    k.pkey = ec_p256_public_key(*x, *y);
  }
  if (!k.pkey) return std::nullopt;
  return k;
}

bool is_http_url(std::string_view s) {
  return (s.rfind("https://", 0) == 0 && s.size() > 8) ||
         (s.rfind("http://", 0) == 0 && s.size() > 7);
}

}  // namespace

std::optional<jwks_result> parse_jwks(std::string_view document, const jwks_limits& limits) {
  if (document.size() > limits.max_document_bytes) return std::nullopt;
  auto v = json_util::parse(document);
  if (!v || !v->is_object()) return std::nullopt;
  const boost::json::value* keys = v->get_object().if_contains("keys");
  if (!keys || !keys->is_array()) return std::nullopt;
  jwks_result out;
  std::set<std::string, std::less<>> kids;
  for (const boost::json::value& entry : keys->get_array()) {
    std::optional<public_key> k;
    if (out.keys.size() < limits.max_keys && entry.is_object()) k = parse_jwk(entry.get_object());
    if (!k || !kids.insert(k->kid).second) {
      ++out.skipped;
      continue;
    }
    out.keys.push_back(std::move(*k));
  }
  return out;
}

std::optional<oidc_discovery> parse_oidc_discovery(std::string_view document) {
  if (document.size() > std::size_t{256} * 1024) return std::nullopt;
  auto v = json_util::parse(document);
  if (!v || !v->is_object()) return std::nullopt;
  const auto& o = v->get_object();
  oidc_discovery d;
  d.issuer = std::string(json_util::string_at(o, "issuer"));
  d.jwks_uri = std::string(json_util::string_at(o, "jwks_uri"));
  if (d.issuer.empty() || !is_http_url(d.jwks_uri)) return std::nullopt;
  return d;
}

}  // namespace patchbay::plugins::nyxid
