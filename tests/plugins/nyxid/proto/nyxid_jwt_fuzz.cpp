// Fuzz target for the NyxID JWT path: the input is one X-NyxID-Callback-Token value. Aborts when:
//   - a token that parsed does not re-split to the same signing input and signature;
//   - base64url decoding accepts a non-canonical spelling (decode → encode must round-trip);
//   - verify_callback accepts a token no test key signed (the cache holds one fixed EC key whose
//     private half is not in this program, so nothing may ever pass).
// Everything else (JWKS and discovery parsing of the same bytes, the signature check) only has to
// return without crashing, leaking or tripping a sanitizer. Built with libFuzzer under
// PATCHBAY_FUZZ=ON (this directory), and with a plain main() as the corpus replay test
// nyxid_jwt_fuzz_corpus.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "nyxid/proto/callback_body.hpp"
#include "nyxid/proto/callback_verify.hpp"
#include "nyxid/proto/jwks.hpp"
#include "nyxid/proto/jws.hpp"
#include "nyxid/proto/jwt.hpp"
#include "patchbay/common/base64.hpp"

namespace {

namespace nyx = patchbay::plugins::nyxid;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "nyxid_jwt_fuzz: %s\n", what);
  std::abort();
}

// One fixed P-256 public key (the curve's generator point) under kid "fixed". Mutation cannot
// produce a valid ECDSA signature for it, so no input may ever verify.
const nyx::jwks_cache& fixed_keys() {
  static nyx::jwks_cache cache = [] {
    nyx::jwks_cache c;
    auto r = nyx::parse_jwks(R"({"keys":[{"kty":"EC","crv":"P-256","kid":"fixed","use":"sig",)"
                             R"("x":"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",)"
                             R"("y":"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU"}]})");
    if (!r || r->keys.size() != 1) fail("fixed key did not load");
    c.begin_fetch(0);
    c.on_fetched(std::move(r->keys), 0);
    return c;
  }();
  return cache;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  if (auto raw = patchbay::common::base64url_decode(bytes))
    if (patchbay::common::base64url_encode(*raw) != bytes) fail("non-canonical base64url accepted");

  if (auto t = nyx::parse_jwt(bytes)) {
    const size_t last = bytes.rfind('.');
    if (t->signing_input != bytes.substr(0, last)) fail("signing input differs");
    if (patchbay::common::base64url_encode(t->signature) != bytes.substr(last + 1))
      fail("signature differs");
    if (const auto* key = fixed_keys().find("fixed", 1).key)
      if (nyx::verify_signature(*t, *key) == nyx::sig_result::ok) fail("forged signature passed");
  }

  nyx::callback_verify_config cfg;
  cfg.issuer = "https://nyx.test";
  nyx::replay_guard replay;
  const std::string body = R"({"message_id":"m","correlation_id":"j","platform":"lark"})";
  if (nyx::verify_callback({bytes, "m", body}, cfg, fixed_keys(), replay, 1000).ok())
    fail("callback accepted");

  (void)nyx::parse_jwks(bytes);
  (void)nyx::parse_oidc_discovery(bytes);
  (void)nyx::parse_callback_body(bytes);
  return 0;
}
