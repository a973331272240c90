// Feishu/Lark family: classification of Open API failures into the plugin ABI's error classes
// (plugin-api/include/patchbay/pb_types.h, pb_error_code), with a finer `error_kind` for the
// plugin's own decisions (refetch the token, report `failed`, stop editing a message).
// Facts: docs/protocols/feishu-lark.md §5–6 and §3.3–3.6. Codes that mean different things per
// operation (230071/230072/230075) are told apart by `api_op`.
//
//   99991400 (any HTTP status) or HTTP 429, 230020     → rate_limited; retry_after_ms from the
//                                                        x-ogw-ratelimit-reset header (seconds)
//   99991661/99991663/99991665/99991671               → auth, token_invalid (drop the cached
//                                                        tenant token, fetch again, retry once)
//   10003/10014/10015 (token endpoint)                → auth, bad_credentials
//   99991662 app not in use, 99991673 unauthorized app,
//   230006 bot ability not activated                  → auth, app_unavailable
//   230025 content too long                           → invalid_input, message_too_long
//   230072 on edit (20 edits reached), 230075 on edit
//   (edit window), 230073/230074, 230031 (PATCH > 14 d) → unsupported: send new messages instead
//   230011 recalled, 230110 deleted, 232009 dissolved,
//   99992354 bad message id, 99992351/60/63 bad user ids → not_found
//   card (CardKit, §3.8): 200850 streaming timed out,
//   300309 streaming closed                           → unsupported, stream_closed (terminal)
//   card: 300317 sequence conflict                    → retryable, sequence_conflict
//   card: 300313 element not found                    → not_found
//   resource download: HTTP 404 (any code), 234003     → not_found; 234043 (a card or forwarded
//                                                        message: no resources) → unsupported
//   HTTP 5xx, an unreadable body, 230049 (being sent)   → retryable
//   other non-zero codes                              → rejected (4xx) or retryable (5xx)
//
// Messages carry the code, the platform's (clipped) msg and log_id, never a token or secret.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "patchbay/pb_types.h"

namespace patchbay::plugins::feishu_family {

enum class api_op {
  token,
  bot_info,
  send,
  reply,
  edit,
  patch_card,
  card,
  other,
  upload_image,  // POST im/v1/images (media.hpp)
  upload_file,   // POST im/v1/files
  resource,      // GET im/v1/messages/:id/resources/:key
};
const char* to_string(api_op op);

enum class error_kind {
  none,
  rate_limited,
  token_invalid,      // refetch the tenant token and retry once
  bad_credentials,    // app id / secret wrong
  app_unavailable,    // disabled, not installed, bot capability off: report `failed`
  permission,         // scope, IP allowlist, not in the chat, outside availability …
  quota_exceeded,     // 99991403 monthly quota
  message_too_long,   // 230025
  edit_limit,         // 230072 on edit: the 20-edit cap
  edit_unsupported,   // edit window passed, secret chat, card too old …
  stream_closed,      // card: streaming mode ended (200850 timeout, 300309 closed): terminal
  sequence_conflict,  // card: 300317, the sequence was not above the card's last one
  not_found,
  invalid_input,
  transient,  // 5xx, unreadable answer, message being sent
  unknown,
};
const char* to_string(error_kind k);

struct api_error {
  int32_t code = PB_OK;  // pb_error_code
  error_kind kind = error_kind::none;
  int http_status = 0;
  int64_t platform_code = 0;
  int64_t retry_after_ms = 0;  // with rate_limited: 0 = unknown
  std::string message;         // no secrets
  bool ok() const { return code == PB_OK; }
};

// True for the codes after which the cached tenant token must be dropped and fetched again.
bool is_invalid_token_code(int64_t code);

// Classifies one answer. `code` is the body's code (0 when the body had none), `msg`/`log_id` as
// found in it; `ratelimit_reset` is the x-ogw-ratelimit-reset header ("" when absent).
// HTTP 2xx with code 0 is success.
api_error classify_api_error(api_op op, int http_status, int64_t code, std::string_view msg,
                             std::string_view ratelimit_reset = {}, std::string_view log_id = {});

// Classifies an answer whose body could not be read as the platform's JSON envelope.
api_error unreadable_answer(api_op op, int http_status, std::string_view why,
                            std::string_view ratelimit_reset = {});

}  // namespace patchbay::plugins::feishu_family
