// Feishu/Lark family: sending, replying to and editing IM messages (docs/protocols/
// feishu-lark.md §3.3–3.7, §5) as request builders and an answer parser.
//
//   send    POST  /open-apis/im/v1/messages?receive_id_type=<t>
//                 {"receive_id","msg_type","content":"<JSON string>","uuid"}
//   reply   POST  /open-apis/im/v1/messages/:message_id/reply
//                 {"content","msg_type","reply_in_thread","uuid"}
//   edit    PUT   /open-apis/im/v1/messages/:message_id {"msg_type":"text"|"post","content"}
//                 (text and post only, at most 20 edits per message)
//   patch   PATCH /open-apis/im/v1/messages/:message_id {"content":"<card JSON string>"}
//                 (interactive cards declared with config.update_multi, ≤ 14 days old)
//
// `content` is always a STRING holding serialized JSON. `uuid` (≤ 50 chars) makes a send or reply
// idempotent for an hour: derive it from what identifies the message (turn and part), so a retry
// carries the same key and never posts twice. Request bodies are capped at 150 KB for text and
// 30 KB for post/interactive (error 230025 otherwise): check_body_size catches it before sending.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "feishu_lark/proto/open_api.hpp"

namespace patchbay::plugins::feishu_family {

namespace msg_type {
inline constexpr std::string_view text = "text";
inline constexpr std::string_view post = "post";
inline constexpr std::string_view interactive = "interactive";
}  // namespace msg_type

// A message body: msg_type plus the serialized content JSON.
struct outgoing {
  std::string msg_type;
  std::string content;
};

// {"text":"..."}
outgoing text_message(std::string_view text);
// {"<locale>":{"title":"…","content":[[{"tag":"md","text":"…"}]]}} — markdown in one md element.
outgoing post_message(std::string_view markdown, std::string_view title = {},
                      std::string_view locale = "zh_cn");
// A JSON 2.0 card with one markdown element, update_multi on so it can be PATCHed later.
outgoing card_message(std::string_view markdown);

enum class receive_id_type { chat_id, open_id, union_id, user_id, email };
const char* to_string(receive_id_type t);
// From the id's shape, as node-sdk's channel layer: oc_ → chat_id, ou_ → open_id,
// on_ → union_id, containing '@' → email, otherwise user_id.
receive_id_type detect_receive_id_type(std::string_view id);

api_request send_message_request(std::string_view receive_id, receive_id_type type,
                                 const outgoing& m, std::string_view uuid = {});
api_request reply_message_request(std::string_view message_id, const outgoing& m,
                                  bool reply_in_thread = false, std::string_view uuid = {});
// nullopt unless m is text or post: cards are updated with patch_card_request.
std::optional<api_request> edit_message_request(std::string_view message_id, const outgoing& m);
api_request patch_card_request(std::string_view message_id, std::string_view card_json);

// The largest request body the platform accepts for a msg_type (bytes).
size_t max_body_bytes(std::string_view type);
// invalid_input / message_too_long when `r.body` is over the limit for `type`; ok otherwise.
api_error check_body_size(api_op op, const api_request& r, std::string_view type);

// A deterministic idempotency key: 32 lowercase hex chars of SHA-256(seed).
std::string derive_uuid(std::string_view seed);

struct message_result {
  api_error error;
  std::string message_id;  // data.message_id (send, reply, edit); empty for patch
  std::string chat_id;
};
message_result parse_message_response(api_op op, int http_status, std::string_view body,
                                      std::string_view ratelimit_reset = {});

}  // namespace patchbay::plugins::feishu_family
