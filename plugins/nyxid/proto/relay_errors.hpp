// NyxID protocol: classification of a relay API outcome (HTTP status + the §2.8 envelope, or a
// transport failure) into the ABI's error classes (plugin-api/include/patchbay/pb_types.h,
// pb_error_code), with the flags the plugin acts on (docs/protocols/nyxid-relay.md §2.2–2.3):
//
//   /reply with a reply token — NyxID consumes the jti at check 11, before validation and the
//   platform send, so once the request was sent the token is treated as spent (`token_spent`,
//   code PB_ERR_TOKEN_USED) on a 2xx, 400, 401 "Reply token already used", 401 token_expired,
//   502, any 5xx, an unknown status, or no answer (timeout/reset after sending). Only answers that
//   NyxID gives before consumption keep the token: 401 other (bad token/mismatch: AUTH), 403
//   (REJECTED), 404 (NOT_FOUND), 409 (REJECTED), 429 (RATE_LIMITED; rate limiting runs before the
//   handler — UNVERIFIED). A request that was never sent (connect failure) is RETRYABLE.
//   /reply with the API key — nothing to spend: 400 → INVALID_INPUT (10001/10006 → REJECTED),
//   401 → AUTH, 403/409 → REJECTED, 404 → NOT_FOUND, 429 → RATE_LIMITED, 502/5xx → RETRYABLE;
//   no answer → RETRYABLE with `outcome_unknown` (a resend may duplicate).
//   /reply/update — edits never consume the token. 501 or `edit_unsupported`/10007 →
//   UNSUPPORTED; 429 → RATE_LIMITED; 401 (incl. "must be used to send before it can edit") →
//   AUTH; 403/409 → REJECTED; 404 → NOT_FOUND; 400 → INVALID_INPUT; each of these sets
//   `stop_editing` (429 does not); 502/5xx/no answer → RETRYABLE.
// `retry_after_ms` comes from a numeric Retry-After header when present (NyxID sends none that
// the note saw: 0 = unknown). `message` names the operation, status, `error`/`error_code` and the
// server's message, clipped, with anything that looks like a token or key redacted.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "patchbay/pb_types.h"

namespace patchbay::plugins::nyxid {

enum class relay_op { reply, update, other };
enum class relay_credential { reply_token, api_key };
enum class relay_transport {
  answered,   // a complete HTTP response arrived
  not_sent,   // failed before the request reached NyxID (DNS, connect, TLS handshake)
  no_answer,  // the request was (or may have been) sent: timeout, reset, truncated response
};

enum class relay_error_kind {
  none,
  token_already_used,  // 401 "Reply token already used"
  token_expired,       // 401 token_expired / 2001
  token_not_used_yet,  // edit with a token that never sent
  unauthorized,
  forbidden,
  not_found,
  validation,      // 400 validation_error and other 400s
  bot_inactive,    // 400 channel_bot_inactive / 10001
  device_channel,  // 400 device_channel_reply_not_allowed / 10006
  conflict,        // 409
  rate_limited,
  edit_unsupported,
  platform_error,  // 502 channel_platform_error / 10005
  server_error,    // other 5xx
  unexpected_status,
  not_sent,
  no_answer,
};
const char* to_string(relay_error_kind k);

struct relay_error {
  int32_t code = PB_OK;  // pb_error_code
  relay_error_kind kind = relay_error_kind::none;
  int http_status = 0;
  std::string error;  // envelope `error`, "" when none
  int64_t error_code = 0;
  bool token_spent = false;      // never send with this reply token again
  bool stop_editing = false;     // no further edits of this message in this turn
  bool outcome_unknown = false;  // sent without an answer: the message may have gone out
  int64_t retry_after_ms = 0;
  std::string message;  // for logs and pb_error.message: no secrets
  bool ok() const { return code == PB_OK; }
};

relay_error classify_relay_result(relay_op op, relay_credential credential,
                                  relay_transport transport, int http_status = 0,
                                  std::string_view body = {}, std::string_view retry_after = {});

// Replaces anything shaped like a JWT ("eyJ…"), a NyxID key ("nyxid_…") or a Bearer credential
// with "[redacted]", and clips the result to `max` bytes at a UTF-8 boundary.
std::string redact_secrets(std::string_view text, size_t max = 300);

}  // namespace patchbay::plugins::nyxid
