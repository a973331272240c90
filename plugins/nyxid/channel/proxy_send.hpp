// Proactive sends through NyxID's outbound proxy (docs/protocols/nyxid-relay.md §2.6), as pure
// functions:
//
//   POST {base}/api/v1/proxy/s/{slug}/open-apis/im/v1/messages?receive_id_type=<t>
//   Authorization: Bearer <proxy_api_key>
//   {"receive_id":…,"msg_type":"text","content":"{\"text\":…}","uuid":…}   (Lark's own body,
//   built by feishu_lark/proto/messages_api; uuid from the host's turn id so a retry never posts
//   twice)
//
// Target: the conversation id, its receive_id_type from its shape (oc_ chat_id, ou_ open_id,
// on_ union_id, '@' email, else user_id). A conversation may name a fallback recipient after a
// '|' ("oc_…|on_…"): on `230002 bot not in chat` the send is retried ONCE with it, typed by its
// own shape when that is unambiguous (oc_/ou_/on_/'@'), else by `fallback_receive_id_type`
// (default union_id). Without a fallback id there is nothing to retry with (note §2.6: aevatar
// keeps a separate union_id for exactly this).
//
// Answers: the proxy returns the platform's response (HTTP 200 with {"code":≠0}, or a non-2xx
// with Lark JSON), or NyxID's own §2.8 envelope (403 api_key_scope_forbidden/9000, 401, 429, 5xx).
// Lark codes go through feishu_family::classify_api_error (99992364 cross tenant, 99992361 cross
// app, 230002 … → rejected); NyxID envelopes by status. Messages carry the code, never a key.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace patchbay::plugins::nyxid {

struct proxy_target {
  std::string id;
  std::string type;  // receive_id_type
  std::string fallback_id;
  std::string fallback_type;
};

// nullopt when the id (or the fallback after '|') is empty or has blanks/control characters.
std::optional<proxy_target> parse_proxy_target(std::string_view conversation,
                                               std::string_view fallback_type = "union_id");

struct proxy_request {
  std::string path;  // /api/v1/proxy/s/<slug>/open-apis/im/v1/messages?receive_id_type=…
  std::string body;
};
proxy_request build_proxy_send(std::string_view slug, std::string_view receive_id,
                               std::string_view receive_id_type, std::string_view text,
                               std::string_view idempotency_seed);

struct proxy_result {
  int32_t code = 0;  // pb_error_code; PB_OK on success
  int64_t lark_code = 0;
  std::string nyxid_error;  // envelope `error`, e.g. api_key_scope_forbidden
  std::string message;      // operator-facing, no secrets
  std::string message_id;   // on success: Lark's om_…
  int64_t retry_after_ms = 0;
  bool bot_not_in_chat() const { return lark_code == 230002; }
  bool ok() const { return code == 0; }
};

proxy_result classify_proxy_answer(int http_status, std::string_view body,
                                   std::string_view ratelimit_reset = {});
// A request that got no HTTP answer (kit error text).
proxy_result proxy_transport_failure(std::string_view kit_error);

}  // namespace patchbay::plugins::nyxid
