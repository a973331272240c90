// NyxID protocol: compact JWS/JWT parsing (RFC 7515 §7.1, RFC 7519) — the split and decode step
// that comes before any signature check. Nothing here trusts the token: it only checks shape and
// bounds and hands back the decoded parts for jws.hpp (signature) and callback_verify.hpp (claims).
//
//   token = b64url(header JSON) "." b64url(claims JSON) "." b64url(signature)
//
// Refused: more or fewer than three segments, empty header/claims/signature, a segment that is not
// canonical base64url, a header or claims that is not a JSON object, a token longer than
// `max_token_bytes`, a header with `crit` (no extension is understood), a header without a string
// `alg`. The algorithm itself is judged later (jws.hpp). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace patchbay::plugins::nyxid {

struct jwt_limits {
  size_t max_token_bytes = 8192;      // NyxID's callback tokens are well under 2 KB
  size_t max_signature_bytes = 1024;  // RSA-8192 at most
};

enum class jwt_parse_error {
  none,
  too_large,
  bad_shape,        // not three non-empty dot-separated segments
  bad_base64,       // a segment is not canonical base64url
  bad_header_json,  // header is not a JSON object
  bad_claims_json,  // claims are not a JSON object
  missing_alg,
  crit_present,
};
const char* to_string(jwt_parse_error e);

struct parsed_jwt {
  boost::json::object header;
  boost::json::object claims;
  std::string signing_input;  // "<header b64>.<claims b64>" exactly as received
  std::string signature;      // raw bytes
  std::string alg;            // header "alg"
  std::string kid;            // header "kid" ("" when absent)
};

// Parses `token`; on failure returns nullopt and sets `*error` when given.
std::optional<parsed_jwt> parse_jwt(std::string_view token, const jwt_limits& limits = {},
                                    jwt_parse_error* error = nullptr);

}  // namespace patchbay::plugins::nyxid
