// NyxID protocol: verification of one inbound callback (docs/protocols/nyxid-relay.md §1.2–1.3),
// every check in the note's order, the first failure deciding:
//   size bound → 1 X-NyxID-Callback-Token present → 2 JWT shape, alg RS256/ES256, kid known
//   (JWKS cache), signature → 3 iss, aud, exp/nbf/iat with leeway (and an optional lifetime cap),
//   token_type (and the configured api_key_id, if any) → 4 api_key_id == body.agent.api_key_id →
//   5 message_id == body.message_id == X-NyxID-Message-Id → 6 platform == body.platform (case-
//   insensitive) → 7 jti == body.correlation_id → 8 SHA-256(exact body bytes) == body_sha256 →
//   9 jti not seen in the replay window (recorded only when everything passed).
// A body that is not a JSON object is judged after the JWT: if its hash matches the claim it is
// an authentic but malformed delivery (400), else an unauthorized one (401).
//
// Verdicts carry a fixed reason (to_string) that never contains the token, the body or a secret.
// `refetch_jwks` says the key was unknown or missing and the cache allows a fetch now: the plugin
// fetches (jwks_cache::begin_fetch …), then verifies again — nothing was recorded.
// `now_ms` is the caller's wall clock in Unix milliseconds (injectable; JWT times are Unix
// seconds) and also drives the cache and the replay guard. Not thread-safe (mutates the guard).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "nyxid/proto/jwks_cache.hpp"
#include "nyxid/proto/jwt.hpp"
#include "nyxid/proto/replay_guard.hpp"

namespace patchbay::plugins::nyxid {

struct callback_request {
  std::string_view callback_token;     // X-NyxID-Callback-Token, "" when absent
  std::string_view message_id_header;  // X-NyxID-Message-Id, "" when absent
  std::string_view body;               // the exact bytes received
};

struct callback_verify_config {
  std::string issuer;  // required: from configuration or the OIDC discovery document
  std::string audience = "channel-relay/callback";
  std::string token_type = "relay_callback";
  std::string expected_api_key_id;  // "" = any (still cross-checked against the body)
  int64_t leeway_s = 60;
  int64_t max_lifetime_s = 0;             // exp - iat cap; 0 = unchecked (NyxID issues 300 s)
  bool require_message_id_header = true;  // aevatar's default
  size_t max_body_bytes = 1 << 20;        // NyxID's own request limit
  jwt_limits jwt;
};

enum class callback_reject {
  none,
  body_too_large,
  missing_token,
  malformed_token,
  alg_not_allowed,
  missing_kid,
  unknown_kid,
  keys_unavailable,
  alg_key_mismatch,
  bad_signature,
  bad_issuer,
  bad_audience,
  missing_time_claim,  // exp or iat absent or not a number
  expired,
  not_yet_valid,  // nbf in the future
  issued_in_future,
  lifetime_too_long,
  bad_token_type,
  unexpected_api_key_id,
  body_not_json,  // authentic (hash matched) but not a JSON object: 400
  api_key_id_mismatch,
  message_id_mismatch,
  missing_message_id_header,
  message_id_header_mismatch,
  platform_mismatch,
  jti_mismatch,
  body_hash_mismatch,
  replayed_jti,
  replay_window_full,
};
const char* to_string(callback_reject r);

struct callback_verdict {
  enum class status { accepted, unauthorized, bad_request };
  status verdict = status::unauthorized;
  callback_reject reason = callback_reject::none;
  bool refetch_jwks = false;
  int http_status() const {
    return verdict == status::accepted ? 202 : verdict == status::bad_request ? 400 : 401;
  }
  bool ok() const { return verdict == status::accepted; }
};

callback_verdict verify_callback(const callback_request& request,
                                 const callback_verify_config& config, const jwks_cache& keys,
                                 replay_guard& replay, int64_t now_ms);

}  // namespace patchbay::plugins::nyxid
