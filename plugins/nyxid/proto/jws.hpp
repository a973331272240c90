// NyxID protocol: JWS signature verification with OpenSSL's EVP_DigestVerify (RFC 7518 §3.3 and
// §3.4). Only RS256 (RSASSA-PKCS1-v1_5 with SHA-256) and ES256 (ECDSA P-256 with SHA-256) are
// accepted, and the token's `alg` must match the key's type (and the JWK's own `alg` when it has
// one), which closes the classic confusions: `none`, HS256 keyed with a public key, RS↔ES swaps.
// ES256 signatures arrive as JOSE r||s (64 bytes) and are re-encoded as DER for OpenSSL.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "nyxid/proto/jwks.hpp"
#include "nyxid/proto/jwt.hpp"

namespace patchbay::plugins::nyxid {

enum class sig_result {
  ok,
  alg_not_allowed,   // none, HS*, PS*, anything but RS256/ES256
  alg_key_mismatch,  // RS256 token with an EC key, ES256 with RSA, or the JWK's alg differs
  bad_signature,
};
const char* to_string(sig_result r);

// True for the algorithms this library verifies.
bool is_allowed_alg(std::string_view alg);

sig_result verify_signature(const parsed_jwt& token, const public_key& key);

// JOSE r||s (2×32 bytes) ↔ DER ECDSA-Sig-Value. nullopt on a wrong size or malformed DER.
std::optional<std::string> ecdsa_jose_to_der(std::string_view jose);
std::optional<std::string> ecdsa_der_to_jose(std::string_view der);

}  // namespace patchbay::plugins::nyxid
