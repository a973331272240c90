// Feishu/Lark family: event envelopes and the events a gateway acts on
// (docs/protocols/feishu-lark.md §4, §2.6, §7). The same JSON arrives over the WebSocket (as
// the reassembled payload of a type=event frame) and over webhooks (after decryption).
//
//   url_verification  {"challenge","token","type":"url_verification"}   (webhook only)
//   v2.0              {"schema":"2.0","header":{"event_id","event_type","create_time","token",
//                      "app_id","tenant_key"},"event":{…}}               — dedup by event_id
//   v1                {"ts","uuid","token","type":"event_callback","event":{"type":…,…}}
//                                                                       — dedup by uuid
// Detection as go/py-sdk: `schema` + `header` → v2; `uuid` + event.type → v1.
//
// im.message.receive_v1 (v2) and its v1 predecessor `message` (fields per go-sdk
// P1MessageReceiveV1Data: open_chat_id, chat_type private|group, msg_type, open_id, union_id,
// employee_id, open_message_id, root_id, parent_id, is_mention, text, text_without_at_bot) are
// normalized to one inbound_message. card.action.trigger (a callback: answered within 3 s, in the
// ack's data over WS or the HTTP body over webhooks; never re-pushed) becomes a card_action.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "feishu_lark/proto/content.hpp"
#include "feishu_lark/proto/media.hpp"

namespace patchbay::plugins::feishu_family {

namespace event_type {
inline constexpr std::string_view message_receive = "im.message.receive_v1";
inline constexpr std::string_view message_receive_v1 = "message";  // the legacy v1 event
inline constexpr std::string_view card_action = "card.action.trigger";
}  // namespace event_type

enum class envelope_kind { url_verification, v2, v1 };

struct envelope {
  envelope_kind kind = envelope_kind::v2;
  std::string event_id;    // v2 header.event_id, v1 uuid: the dedup key
  std::string event_type;  // v2 header.event_type, v1 event.type
  std::string token;       // verification token (v2 header.token, v1 and challenge: token)
  std::string app_id;
  std::string tenant_key;
  int64_t create_time = 0;   // v2 header.create_time as sent (ms for IM events; unit varies), v1 ts
  std::string challenge;     // url_verification only
  boost::json::value event;  // the "event" object (null for url_verification)
};

// nullopt (with `error`) when the text is not JSON, not an object, or neither shape.
std::optional<envelope> parse_envelope(std::string_view json_text, std::string* error = nullptr);
// The same for an already parsed value.
std::optional<envelope> envelope_from_json(const boost::json::value& v,
                                           std::string* error = nullptr);

enum class chat_kind { p2p, group, other };

struct inbound_message {
  std::string event_id;
  std::string message_id;  // om_…: what a reply targets, the second dedup key
  std::string root_id;
  std::string parent_id;
  std::string thread_id;
  std::string chat_id;  // oc_…
  chat_kind chat = chat_kind::other;
  std::string chat_type;  // as sent: p2p, group, topic_group, v1 private …
  std::string sender_open_id;
  std::string sender_union_id;
  std::string sender_user_id;
  std::string sender_type;  // "user", "app" …
  std::string tenant_key;
  std::string message_type;  // text, post, image …
  std::string text;          // flattened, mentions resolved; "" for media and unknown types
  std::vector<mention> mentions;
  std::vector<inbound_attachment> attachments;  // image, file, audio, media, sticker, post images
  bool bot_mentioned = false;
  bool mentions_all = false;
  int64_t create_time_ms = 0;
};

struct message_options {
  std::string bot_open_id;  // from bot/v3/info; empty = unknown (bot_mentioned stays false)
  bool strip_bot_mention = true;
};

// Normalizes im.message.receive_v1 (v2) or `message` (v1). nullopt (with `error`) for any other
// event type or when message_id / chat_id is missing. Non-text, non-post messages keep an empty
// text and their message_type; their files (and a post's images) become `attachments`.
std::optional<inbound_message> parse_message_event(const envelope& env,
                                                   const message_options& opt = {},
                                                   std::string* error = nullptr);

struct card_action {
  std::string event_id;
  std::string message_id;  // context.open_message_id, else the top-level open_message_id
  std::string chat_id;     // context.open_chat_id, else open_chat_id
  std::string operator_open_id;
  std::string operator_user_id;
  std::string operator_union_id;
  std::string operator_name;
  std::string token;  // c-…: for a delayed card update
  std::string tag;    // action.tag ("button" …)
  std::string name;
  std::string option;
  std::string value_json;  // action.value serialized (a string or an object)
};

// nullopt (with `error`) unless a card.action.trigger with message id, chat id and operator
// open_id (node-sdk drops the others too).
std::optional<card_action> parse_card_action(const envelope& env, std::string* error = nullptr);

// The url_verification answer body: {"challenge":"<challenge>"}.
std::string challenge_response(std::string_view challenge);

}  // namespace patchbay::plugins::feishu_family
