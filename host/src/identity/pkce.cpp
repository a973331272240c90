#include "identity/pkce.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <boost/json.hpp>

#include <stdexcept>

#include "patchbay/common/base64.hpp"
#include "patchbay/common/digest.hpp"

namespace patchbay::identity {
namespace json = boost::json;
using patchbay::common::base64url_decode;
using patchbay::common::base64url_encode;
using patchbay::common::hmac_sha256;

namespace {

// Domain separation: one configured secret, two independent keys.
constexpr std::string_view sign_label = "patchbay identity state v1";
constexpr std::string_view pkce_label = "patchbay identity pkce v1";

std::string derived_key(std::string_view secret, std::string_view label) {
  return hmac_sha256(secret, label);
}

}  // namespace

std::string pkce_challenge_s256(std::string_view verifier) {
  return base64url_encode(common::sha256(verifier));
}

bool pkce_verifier_valid(std::string_view v) {
  if (v.size() < 43 || v.size() > 128) return false;
  for (char c : v) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

std::string pkce_verifier_for(std::string_view secret, std::string_view nonce) {
  return base64url_encode(hmac_sha256(derived_key(secret, pkce_label), nonce));
}

std::string random_token(std::size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("no random bytes from OpenSSL");
  return base64url_encode(bytes);
}

std::string sign_state(const state_claims& c, std::string_view secret) {
  const std::string payload = base64url_encode(json::serialize(json::object{
      {"p", c.provider}, {"k", c.subject_key}, {"n", c.nonce}, {"e", c.expires_unix_s}}));
  return payload + "." + base64url_encode(hmac_sha256(derived_key(secret, sign_label), payload));
}

state_check verify_state(std::string_view token, std::string_view secret, std::int64_t now_unix_s,
                         state_claims& out) {
  if (token.size() > 4096) return state_check::malformed;
  const auto dot = token.find('.');
  if (dot == std::string_view::npos) return state_check::malformed;
  const std::string_view payload = token.substr(0, dot);
  const auto sig = base64url_decode(token.substr(dot + 1), 64);
  if (!sig) return state_check::malformed;
  const std::string want = hmac_sha256(derived_key(secret, sign_label), payload);
  if (sig->size() != want.size() || CRYPTO_memcmp(sig->data(), want.data(), want.size()) != 0)
    return state_check::bad_signature;
  const auto raw = base64url_decode(payload, 4096);
  if (!raw) return state_check::malformed;
  json::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return state_check::malformed;
  const auto& o = v.get_object();
  const auto* p = o.if_contains("p");
  const auto* k = o.if_contains("k");
  const auto* n = o.if_contains("n");
  const auto* e = o.if_contains("e");
  if (!p || !k || !n || !e || !p->is_string() || !k->is_string() || !n->is_string() ||
      !e->is_int64())
    return state_check::malformed;
  if (now_unix_s > e->get_int64()) return state_check::expired;
  out.provider = std::string(p->get_string());
  out.subject_key = std::string(k->get_string());
  out.nonce = std::string(n->get_string());
  out.expires_unix_s = e->get_int64();
  return state_check::ok;
}

}  // namespace patchbay::identity
