// Feishu/Lark family: checking one webhook delivery (docs/protocols/feishu-lark.md §7) and
// turning it into a typed verdict: answer a challenge, dispatch an event, or reject with a 4xx.
//
// Order of checks (fail closed; nothing is dispatched unless every applicable check passed):
//   1. size (413) and outer JSON (400);
//   2. with an encrypt key: signature headers X-Lark-Request-Timestamp / -Nonce / X-Lark-Signature
//      = sha256_hex(timestamp + nonce + encrypt_key + RAW body) compared in constant time (401);
//      the timestamp must be within `max_skew_s` of now (401 stale); the body must be
//      {"encrypt":"…"} and decrypt (400). An UNSIGNED request is accepted only if it decrypts to a
//      url_verification and allow_unsigned_challenge is set (whether the platform signs challenges
//      is UNVERIFIED; go/py-sdk skip the signature for them);
//   3. the verification token (challenge: `token`; v2: header.token; v1: token) must match when
//      configured, compared in constant time (401);
//   4. with neither an encrypt key nor a verification token nothing is authenticated: 403.
// Without an encrypt key, signature headers are ignored unless verify_unkeyed_signature is set
// (py-sdk hints the platform signs with an empty key then: UNVERIFIED).
// Timestamps are seconds (10 digits in the wild, UNVERIFIED); a 13-digit value is read as ms.
// Pure function; thread-safe. Reasons never contain the key or the token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "feishu_lark/proto/events.hpp"

namespace patchbay::plugins::feishu_family {

struct webhook_config {
  std::string encrypt_key;         // empty = deliveries are plaintext
  std::string verification_token;  // empty = not checked
  int64_t max_skew_s = 300;        // staleness window for signed requests; 0 = not checked
  bool allow_unsigned_challenge = true;
  bool verify_unkeyed_signature = false;
  size_t max_body_bytes = 1u << 20;
};

// Header values as received ("" when absent).
struct webhook_headers {
  std::string_view timestamp;  // X-Lark-Request-Timestamp
  std::string_view nonce;      // X-Lark-Request-Nonce
  std::string_view signature;  // X-Lark-Signature
};

struct webhook_challenge {
  std::string challenge;
  std::string response_body;  // {"challenge":"…"}, to send with HTTP 200
};
struct webhook_event {
  std::string json;  // the (decrypted) event JSON
  envelope env;
};
enum class reject_reason {
  too_large,
  malformed,
  not_configured,
  unsigned_request,
  bad_signature,
  stale,
  bad_encryption,
  bad_token,
};
struct webhook_reject {
  int status = 400;
  reject_reason reason = reject_reason::malformed;
  std::string detail;  // for logs
};

using webhook_verdict = std::variant<webhook_challenge, webhook_event, webhook_reject>;

webhook_verdict verify_webhook(const webhook_config& cfg, const webhook_headers& h,
                               std::string_view body, int64_t now_unix_s);

const char* to_string(reject_reason r);

}  // namespace patchbay::plugins::feishu_family
