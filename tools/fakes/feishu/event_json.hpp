// patchbay-fake-feishu: what the fake sends as events — the im.message.receive_v1 envelope (v2,
// §4.1, or the legacy v1 shape of §4.2) built from the /_fake/inject fields — and the webhook
// delivery of §7: {"encrypt":"<base64(IV || AES-256-CBC)>"} with X-Lark-Request-Timestamp /
// -Nonce / X-Lark-Signature, or forged as a test asks (`tamper`).
//
// Pure functions apart from the id_source they draw ids from; not thread-safe through it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "apps.hpp"
#include "ids.hpp"
#include "patchbay/kit/http_types.hpp"

namespace patchbay::fakes::feishu {

struct inject_fields {
  std::string app_id;
  std::string chat_id;  // default: a fresh oc_ id
  std::string chat_type = "p2p";
  std::string text;
  bool mention_bot = false;
  bool mention_other = false;         // another bot of the tenant is @-mentioned (before this bot)
  bool mention_all = false;           // @all ("@_all"), listed in mentions as the platform does
  std::string sender_open_id;         // default: a fresh ou_ id
  std::string message_type = "text";  // text | post | image | file | audio | media | sticker | …
  std::string schema = "2.0";         // 2.0 | 1.0
  std::size_t fragments = 1;
  std::string event_id;    // default: fresh (32 hex)
  std::string message_id;  // default: fresh om_
  std::string parent_id;   // optional: a reply to this message
  bool duplicate = false;
  std::int64_t create_time_ms = 0;  // 0: the time of the injection
  std::string token;                // header.token / token ("" on the long connection, as observed)
  std::string content;              // a raw content JSON string (any message_type), or built
                                    // from data_base64 by the control API
  bool has_data = false;            // data_base64 given: a user's file the fake stages
  std::string data;                 // its bytes
  std::string data_content_type;    // served with the download
  std::string file_name;
};

// The content of a media message naming `key`: {"image_key"} or {"file_key","file_name"}.
std::string media_content(std::string_view message_type, std::string_view key,
                          std::string_view file_name);

// Reads the inject fields of a control request; "" or what is wrong.
std::string parse_inject(const boost::json::object& body, inject_fields& out);
// Fills the defaults (ids) that were not given.
void complete_inject(inject_fields& f, id_source& ids);
// The event JSON text.
std::string build_message_event(const app_creds& app, const inject_fields& f,
                                std::int64_t create_time_ms);
// {"challenge":"…","token":"…","type":"url_verification"}
std::string build_challenge(std::string_view challenge, std::string_view token);

struct webhook_options {
  bool encrypt = true;
  bool sign = true;
  std::string tamper;  // "" | signature | body | timestamp_stale | token | unsigned
};
struct webhook_delivery {
  std::string body;
  kit::http_headers headers;
};
// Encrypts (with the app's encrypt key) and signs `plaintext` for a POST to the developer's URL.
// ("token" tampering is done by the caller when it builds the event.)
webhook_delivery build_webhook(const app_creds& app, std::string_view plaintext,
                               const webhook_options& o, std::int64_t now_unix_s, id_source& ids);

}  // namespace patchbay::fakes::feishu
