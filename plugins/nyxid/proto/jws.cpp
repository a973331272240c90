#include "nyxid/proto/jws.hpp"

#include <memory>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>

namespace patchbay::plugins::nyxid {

const char* to_string(sig_result r) {
  switch (r) {
    case sig_result::ok:
      return "ok";
    case sig_result::alg_not_allowed:
      return "algorithm not allowed";
    case sig_result::alg_key_mismatch:
      return "algorithm does not match the key";
    case sig_result::bad_signature:
      return "bad signature";
  }
  return "unknown";
}

bool is_allowed_alg(std::string_view alg) { return alg == "RS256" || alg == "ES256"; }

namespace {

struct sig_free {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct md_ctx_free {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

bool digest_verify(EVP_PKEY* key, std::string_view input, std::string_view sig) {
  std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1)
    return false;
  const bool ok =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  if (!ok) ERR_clear_error();  // a refused signature is an answer, not an error for others to see
  return ok;
}

}  // namespace

std::optional<std::string> ecdsa_jose_to_der(std::string_view jose) {
  if (jose.size() != 64) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(jose.data());
  BIGNUM* r = BN_bin2bn(p, 32, nullptr);
  BIGNUM* s = BN_bin2bn(p + 32, 32, nullptr);
  std::unique_ptr<ECDSA_SIG, sig_free> sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::optional<std::string> ecdsa_der_to_jose(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, sig_free> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    return std::nullopt;
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  std::string out(64, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, 32) != 32 || BN_bn2binpad(s, o + 32, 32) != 32) return std::nullopt;
  return out;
}

sig_result verify_signature(const parsed_jwt& token, const public_key& key) {
  if (!is_allowed_alg(token.alg)) return sig_result::alg_not_allowed;
  const key_type wanted = token.alg == "RS256" ? key_type::rsa : key_type::ec_p256;
  if (key.type != wanted || (!key.alg.empty() && key.alg != token.alg) || !key.pkey)
    return sig_result::alg_key_mismatch;
  if (wanted == key_type::ec_p256) {
    const auto der = ecdsa_jose_to_der(token.signature);
    if (!der) return sig_result::bad_signature;
    return digest_verify(key.pkey.get(), token.signing_input, *der) ? sig_result::ok
                                                                    : sig_result::bad_signature;
  }
  return digest_verify(key.pkey.get(), token.signing_input, token.signature)
             ? sig_result::ok
             : sig_result::bad_signature;
}

}  // namespace patchbay::plugins::nyxid
