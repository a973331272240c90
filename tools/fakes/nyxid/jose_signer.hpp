// patchbay-fake-nyxid: JOSE signing — keys made with OpenSSL (RSA-2048 for RS256, EC P-256 for
// ES256), their public JWKs, compact JWS signing (ES256 signatures as JOSE r||s). The fake's
// key_store signs with it, and so do the nyxid_proto tests (tests/plugins/nyxid/proto/
// test_signer): one signer for both. No Asio; OpenSSL crypto and nyxid_proto's base64url/DER
// helpers only (library patchbay_fake_nyxid_jose).
//
// Pure functions; thread-safe (a key is immutable once made). Never logs key material.
#pragma once

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>

typedef struct evp_pkey_st EVP_PKEY;

namespace patchbay::fakes::nyxid {

struct signing_key {
  std::string kid;
  std::string alg;  // RS256 or ES256
  std::shared_ptr<EVP_PKEY> pkey;
  bool published = true;
};

// A fresh key (alg "ES256": EC P-256, anything else RSA-2048 RS256); throws std::runtime_error
// when OpenSSL fails.
signing_key make_signing_key(std::string kid, std::string_view alg);
// The public JWK of `key` ({kty,kid,use:"sig",alg,n,e} or {kty:"EC",crv:"P-256",x,y}).
boost::json::object public_jwk(const signing_key& key);
// b64url(header_json) "." b64url(claims_json) "." b64url(signature) with key.alg, whatever the
// segments say (tests forge headers this way).
std::string sign_compact(const signing_key& key, std::string_view header_json,
                         std::string_view claims_json);
// Compact JWS of `claims`; the header gets alg/kid/typ unless given.
std::string sign_jwt(const signing_key& key, const boost::json::object& claims,
                     boost::json::object header = {});

}  // namespace patchbay::fakes::nyxid
