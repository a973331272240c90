// NyxID protocol: the callback body (`CallbackPayload`, docs/protocols/nyxid-relay.md §1.4)
// normalized into what the plugin hands the host. Parse only after verify_callback() accepted the
// delivery.
//
//   chat identity   conversation.platform_id (conversation.id is the ROUTE: all chats on a
//                   default route share it, §1.4)
//   DM vs group     from raw_platform_data where it says (Lark event.message.chat_type p2p/group,
//                   Telegram message.chat.type, Slack event.channel_type, Discord guild_id);
//                   else from conversation.type only when the route says group/channel — a route
//                   defaults to "private" even for groups (§6 q4), so "private" alone is `unknown`
//                   unless `trust_route_private` is set. Callers treat `unknown` as a group for
//                   anything DM-only (e.g. /init).
//   content         type "text" with non-blank text is a message; so is any content with
//                   attachments (content.attachments[], §1.4: image, file, audio, video,
//                   sticker…), its text possibly empty; so is anything else but a card_action
//                   (blank or no text, a location, a media type without attachments, no content):
//                   a message with empty text, which the host answers "I can't read this kind of
//                   message yet." (every message gets an outcome; `reason` says why for the log).
//                   A card_action (a button click, not a message) is `ignored` (→ 202 ignored).
//   malformed       not a JSON object, or message_id / platform / conversation.platform_id /
//                   sender.platform_id missing (→ 400).
// The reply token is a secret: it is carried, never formatted into a reason. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace patchbay::plugins::nyxid {

enum class chat_kind { unknown, dm, group };
const char* to_string(chat_kind k);

struct callback_body_options {
  bool trust_route_private = false;
  size_t max_text_bytes = 1 << 20;
};

// One entry of content.attachments[] ({content_type, url, platform_message_id?, file_key?,
// image_key?, filename?, mime_type?, size_bytes?}).
struct relay_attachment {
  std::string kind;       // content.type when it names a media kind, else "file"
  std::string id;         // image_key, else file_key, else the url
  std::string url;        // as sent (fetched without credentials)
  std::string name;       // filename
  std::string mime_type;  // mime_type, else content_type when it looks like a MIME type
  uint64_t size = 0;      // size_bytes
};

struct callback_inbound {
  enum class status { message, ignored, malformed };
  status result = status::malformed;
  std::string reason;  // for ignored / malformed: fixed text plus field names, no content

  std::string message_id;      // NyxID inbound UUID: the key for /reply
  std::string correlation_id;  // == the callback jti
  std::string platform;        // lower case: lark, feishu, telegram, discord, slack, device
  std::string api_key_id;
  std::string agent_name;
  std::string route_id;  // conversation.id (the route, not the chat)
  std::string chat_id;   // conversation.platform_id
  chat_kind kind = chat_kind::unknown;
  bool kind_from_raw = false;  // true when raw_platform_data decided
  std::string route_type;      // conversation.type as sent
  std::string sender_id;
  std::string sender_name;
  std::string content_type;
  std::string text;
  std::vector<relay_attachment> attachments;  // at most 32 kept
  std::string reply_token;                    // SECRET; "" when absent (use the API key)
  std::string reply_to_platform_message_id;
  std::string thread_id;
  std::string timestamp;
  std::string platform_message_id;  // the platform's own id, from raw data (Lark om_…), if any
  std::string tenant_key;           // Lark header.tenant_key, if any
};

callback_inbound parse_callback_body(std::string_view body,
                                     const callback_body_options& options = {});

}  // namespace patchbay::plugins::nyxid
