// NyxID protocol: bodies of the relay API (docs/protocols/nyxid-relay.md §2.2, §2.3, §2.8) — what
// the plugin POSTs and what it reads back. No HTTP here; the plugin sends these with the kit
// client.
//
//   POST /api/v1/channel-relay/reply         {"message_id":<inbound UUID>,"reply":{"text":…,
//                                             "metadata":{…}|null}} → 200 {"message_id":<outbound
//                                             UUID>,"platform_message_id"?:"om_…"}
//   POST /api/v1/channel-relay/reply/update  {"message_id":<PLATFORM id>,"reply":{…}}
//                                             → 200 {"upstream_message_id","edited_at"}
//   errors (all /api/v1/*)                   {"error":<key>,"error_code":<u32>,"message":<text>}
// Authorization is `Bearer <reply token>` or `Bearer <agent API key>`, chosen by the plugin.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace patchbay::plugins::nyxid {

inline constexpr std::string_view reply_path = "/api/v1/channel-relay/reply";
inline constexpr std::string_view reply_update_path = "/api/v1/channel-relay/reply/update";

// `metadata_json` is a serialized JSON object (e.g. {"card":{…}} on Lark, {"parse_mode":…} on
// Telegram) or "" for null. nullopt when it is not an object.
std::optional<std::string> reply_request_body(std::string_view inbound_message_id,
                                              std::string_view text,
                                              std::string_view metadata_json = {});
std::optional<std::string> update_request_body(std::string_view platform_message_id,
                                               std::string_view text,
                                               std::string_view metadata_json = {});

struct reply_response {
  std::string message_id;           // NyxID outbound UUID
  std::string platform_message_id;  // "" when the adapter returned none: no edits possible
};
// nullopt when the 200 body is not an object with a string message_id.
std::optional<reply_response> parse_reply_response(std::string_view body);

struct update_response {
  std::string upstream_message_id;
  std::string edited_at;
};
std::optional<update_response> parse_update_response(std::string_view body);

struct error_envelope {
  std::string error;  // e.g. "unauthorized", "edit_unsupported"
  int64_t error_code = 0;
  std::string message;
};
// nullopt unless the body is an object with a string `error` (error_code/message optional).
std::optional<error_envelope> parse_error_envelope(std::string_view body);

}  // namespace patchbay::plugins::nyxid
