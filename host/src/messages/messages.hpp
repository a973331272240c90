// The host's owned copies of what crosses the plugin ABI (see patchbay/pb_messages.h for the
// meaning of each field). Plain data; no Asio, no JSON library in this header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "patchbay/pb_messages.h"
#include "patchbay/pb_types.h"

namespace patchbay::messages {

struct mention {
  std::string user_id, display_name;
  int32_t is_bot_self = 0;
};

struct attachment {
  std::string kind, id, name, mime_type, url;
  uint64_t size = 0;
};

struct inbound_message {
  std::string channel_id;  // the channel instance it came through
  std::string event_id, conversation_id;
  int32_t conversation_kind = 0;
  std::string thread_id, message_id, sender_id, sender_name, text;
  std::vector<mention> mentions;
  std::vector<attachment> attachments;
  std::string reply_context;  // opaque bytes
  int64_t sent_at_unix_ms = 0;
  std::optional<pb_capabilities> capabilities;  // per-conversation narrowing
  std::string raw_json;
};

// A file an agent (thread_response `attachment`) or an API caller (POST /v1/messages) asks the host
// to send, before the host materialised it: exactly one source. The host fetches a `url`, reads a
// `path` the operator allowed, or decodes `data_base64` (host/src/media/outbound_*).
struct attachment_spec {
  std::string kind;  // "image", "file", "audio" or "video"
  std::string name;  // shown to the user; may be empty (a name is derived from the source)
  std::string mime_type;
  std::string url, path, data_base64;  // exactly one is non-empty
  std::string caption;                 // sent as a text message of its own, after the file
};

// A file to send (pb_outbound_attachment): `path` is a host-owned spool file (host/src/media/).
struct outbound_attachment {
  std::string kind, name, mime_type, path, md5_hex;
  uint64_t size = 0;
};

struct outbound_message {
  std::string conversation_id, thread_id, reply_to_message_id, reply_context, text, turn_id,
      recipient_id;
  uint32_t flags = 0;
  std::optional<outbound_attachment> attachment;  // set: a media message, `text` empty
};

struct edit_request {
  std::string conversation_id, message_id, reply_context, text, turn_id;
  uint32_t flags = 0;  // PB_EDIT_*
};

struct typing_request {
  std::string conversation_id, thread_id, reply_context, user_id;
  std::string message_id;            // the user's message the turn answers
  int32_t action = PB_TYPING_START;  // pb_typing_action
};

struct op_result {
  int32_t code = PB_OK;  // pb_error_code
  std::string message;
  int64_t retry_after_ms = 0;
  std::string message_id;
  std::string mime_type;  // fetch_attachment (ABI minor 3): the MIME type the platform reported
  bool ok() const { return code == PB_OK; }
};

// The name of a pb_error_code class, for logs and API errors ("rate_limited", ...).
inline const char* error_class_name(int32_t code) {
  switch (code) {
    case PB_OK:
      return "ok";
    case PB_ERR_RETRYABLE:
      return "retryable";
    case PB_ERR_RATE_LIMITED:
      return "rate_limited";
    case PB_ERR_AUTH:
      return "auth";
    case PB_ERR_REJECTED:
      return "rejected";
    case PB_ERR_TOKEN_USED:
      return "token_used";
    case PB_ERR_NOT_FOUND:
      return "not_found";
    case PB_ERR_INVALID_INPUT:
      return "invalid_input";
    case PB_ERR_INTERNAL:
      return "internal";
    case PB_ERR_UNSUPPORTED:
      return "unsupported";
    default:
      return "unknown";
  }
}

// One outbound operation as the durable queue keeps it: a send, or an edit (`edit` set).
struct outbound_op {
  bool is_edit = false;
  // The reply token is single-use: spent the moment the platform saw it, whatever it answered,
  // so a retry goes without it.
  bool single_use_token = false;
  outbound_message send;
  edit_request edit;
};
// Its JSON form (reply_context as base64); nullopt (with `error`) for a malformed text.
std::string to_json(const outbound_op& op);
std::optional<outbound_op> outbound_op_from_json(std::string_view json, std::string* error);

// The name of a pb_conversation_kind for agents and users ("direct", "group", "thread"), or ""
// when the plugin did not say.
inline const char* conversation_kind_name(int32_t kind) {
  switch (kind) {
    case PB_CONVERSATION_DIRECT:
      return "direct";
    case PB_CONVERSATION_GROUP:
      return "group";
    case PB_CONVERSATION_THREAD:
      return "thread";
    default:
      return "";
  }
}

// JSON form of an inbound message (what the state store keeps). reply_context is base64.
std::string to_json(const inbound_message& m);
std::optional<inbound_message> inbound_from_json(std::string_view json, std::string* error);

}  // namespace patchbay::messages
