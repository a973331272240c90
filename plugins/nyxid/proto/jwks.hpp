// NyxID protocol: verification keys. A JWKS document (RFC 7517) becomes OpenSSL public keys, and
// the OIDC discovery document (`/.well-known/openid-configuration`) gives the issuer and the
// `jwks_uri` (docs/protocols/nyxid-relay.md §1.3).
//
// Supported keys: RSA (`kty:"RSA"`, `n`, `e`, at least 2048 bits) and EC P-256 (`kty:"EC"`,
// `crv:"P-256"`, `x`, `y`, a point on the curve), built with EVP_PKEY_fromdata. A key with
// `use` other than "sig", without `kid`, with a duplicate `kid`, or of another type is skipped
// (counted, never fatal: a rotation may add key types this code does not know). Pure functions;
// thread-safe; a public_key is immutable and may be shared across threads.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace patchbay::plugins::nyxid {

enum class key_type { rsa, ec_p256 };

struct public_key {
  std::string kid;
  key_type type = key_type::rsa;
  std::string alg;  // the JWK's optional "alg" ("" when absent); when set it must match the token
  std::shared_ptr<EVP_PKEY> pkey;
};

// Raw big-endian integers → key; nullptr when OpenSSL refuses them (or RSA is under 2048 bits).
std::shared_ptr<EVP_PKEY> rsa_public_key(std::string_view n, std::string_view e);
// Raw 32-byte coordinates → key; nullptr when not on the curve or of the wrong size.
std::shared_ptr<EVP_PKEY> ec_p256_public_key(std::string_view x, std::string_view y);

struct jwks_limits {
  size_t max_document_bytes = 256 * 1024;
  size_t max_keys = 32;
};

struct jwks_result {
  std::vector<public_key> keys;
  size_t skipped = 0;
};

// nullopt when the document is not JSON, too large, or has no "keys" array. A document whose
// keys were all skipped yields an empty list (the caller decides whether that is an error).
std::optional<jwks_result> parse_jwks(std::string_view document, const jwks_limits& limits = {});

struct oidc_discovery {
  std::string issuer;
  std::string jwks_uri;
};

// nullopt unless the document is a JSON object with non-empty string `issuer` and `jwks_uri`,
// the latter an http(s) URL.
std::optional<oidc_discovery> parse_oidc_discovery(std::string_view document);

}  // namespace patchbay::plugins::nyxid
