// patchbay-fake-nyxid: the signing side of NyxID's JOSE (docs/protocols/nyxid-relay.md §1.3, §2.4)
// — the keys the fake signs callback JWTs, reply tokens and access tokens with, the JWKS it
// publishes, and key rotation. The verifying side is the plugin's (nyxid_proto); the fake uses
// nyxid_proto too, to check the reply tokens it gets back.
//
// Keys are made with OpenSSL at start (RSA-2048 for RS256, EC P-256 for ES256; not derived from
// the seed). rotate() makes a new active key; the previous ones stay in the JWKS unless
// `keep_old` is false, and always stay usable for verifying tokens the fake issued (a retired key
// does not make an outstanding reply token invalid here). An "unpublished" key that never
// appears in the JWKS signs forged tokens with an unknown kid.
//
// Not thread-safe (owned by fake_nyxid). Never logs or returns private key material.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jose_signer.hpp"

namespace patchbay::fakes::nyxid {

class key_store {
 public:
  // `alg` of the first key: RS256 (NyxID's) or ES256.
  explicit key_store(std::string kid_prefix = "fake-nyxid", std::string_view alg = "RS256");

  const signing_key& active() const { return keys_.at(active_); }
  // New active key; returns its kid. keep_old=false drops the older keys from the JWKS.
  std::string rotate(bool keep_old, std::string_view alg = "RS256");
  // A key that is never published (lazily made): tokens it signs carry an unknown kid.
  const signing_key& unpublished();

  std::string jwks_json() const;
  std::vector<std::string> published_kids() const;

  std::string sign(const boost::json::object& claims, boost::json::object header = {}) const {
    return sign_jwt(active(), claims, std::move(header));
  }

  enum class verify_status { ok, malformed, unknown_kid, bad_signature };
  struct verified {
    verify_status status = verify_status::malformed;
    boost::json::object claims;
  };
  // Verifies a token the fake issued with any key it ever published (the unpublished key's
  // tokens are refused as unknown_kid, as NyxID would).
  verified verify(std::string_view token) const;

 private:
  std::string prefix_;
  std::vector<signing_key> keys_;
  std::size_t active_ = 0;
  std::optional<signing_key> unpublished_;
  int serial_ = 0;
};

}  // namespace patchbay::fakes::nyxid
