#include "nyxid/proto/callback_body.hpp"

#include <algorithm>

#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::nyxid {
namespace json = boost::json;
namespace json_util = patchbay::common::json_util;

const char* to_string(chat_kind k) {
  switch (k) {
    case chat_kind::unknown:
      return "unknown";
    case chat_kind::dm:
      return "dm";
    case chat_kind::group:
      return "group";
  }
  return "unknown";
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

bool blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

// Follows a path of object keys; nullptr when any step is missing or not an object.
const json::object* path(const json::object* o, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (!o) return nullptr;
    o = json_util::object_at(*o, k);
  }
  return o;
}

// What the original platform event says about the chat, if anything (§1.4 raw_platform_data).
chat_kind kind_from_raw(std::string_view platform, const json::object& raw) {
  if (platform == "lark" || platform == "feishu") {
    if (const json::object* m = path(&raw, {"event", "message"})) {
      const std::string_view t = json_util::string_at(*m, "chat_type");
      if (t == "p2p") return chat_kind::dm;
      if (!t.empty()) return chat_kind::group;
    }
  } else if (platform == "telegram") {
    // An Update: message / edited_message / channel_post carry chat.type (UNVERIFIED shape).
    for (std::string_view k : {"message", "edited_message", "channel_post"}) {
      if (const json::object* chat = path(&raw, {k, "chat"})) {
        const std::string_view t = json_util::string_at(*chat, "type");
        if (t == "private") return chat_kind::dm;
        if (!t.empty()) return chat_kind::group;
      }
    }
  } else if (platform == "slack") {
    if (const json::object* e = path(&raw, {"event"})) {
      const std::string_view t = json_util::string_at(*e, "channel_type");
      if (t == "im") return chat_kind::dm;
      if (!t.empty()) return chat_kind::group;
    }
  } else if (platform == "discord") {
    // A guild message or interaction has guild_id; a DM has none (UNVERIFIED shape).
    if (raw.contains("channel_id") || raw.contains("guild_id")) {
      const json::value* g = raw.if_contains("guild_id");
      return g && g->is_string() && !g->get_string().empty() ? chat_kind::group : chat_kind::dm;
    }
  }
  return chat_kind::unknown;
}

void raw_ids(std::string_view platform, const json::object& raw, callback_inbound& in) {
  if (platform != "lark" && platform != "feishu") return;
  if (const json::object* h = path(&raw, {"header"}))
    in.tenant_key = std::string(json_util::string_at(*h, "tenant_key"));
  if (const json::object* m = path(&raw, {"event", "message"}))
    in.platform_message_id = std::string(json_util::string_at(*m, "message_id"));
  if (in.platform_message_id.empty())
    if (const json::object* ctx = path(&raw, {"event", "context"}))
      in.platform_message_id = std::string(json_util::string_at(*ctx, "open_message_id"));
}

constexpr std::size_t max_attachments = 32;

bool media_kind(std::string_view t) {
  return t == "image" || t == "file" || t == "audio" || t == "video" || t == "sticker";
}

// content.attachments[] (§1.4) → relay_attachment; entries without a url or key are skipped.
void read_attachments(const json::object& content, callback_inbound& in) {
  const json::value* list = content.if_contains("attachments");
  if (list == nullptr || !list->is_array()) return;
  for (const auto& v : list->get_array()) {
    if (in.attachments.size() >= max_attachments) break;
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    relay_attachment a;
    const std::string_view ct = json_util::string_at(o, "content_type");
    a.kind = media_kind(in.content_type) ? in.content_type
             : media_kind(ct)            ? std::string(ct)
                                         : std::string("file");
    a.url = std::string(json_util::string_at(o, "url"));
    a.name = std::string(json_util::string_at(o, "filename"));
    a.mime_type = std::string(json_util::string_at(o, "mime_type"));
    if (a.mime_type.empty() && ct.find('/') != std::string_view::npos) a.mime_type = ct;
    a.size =
        static_cast<uint64_t>(std::max<int64_t>(0, json_util::int_at(o, "size_bytes").value_or(0)));
    for (const char* key : {"image_key", "file_key"})
      if (a.id.empty()) a.id = std::string(json_util::string_at(o, key));
    if (a.id.empty()) a.id = a.url;
    if (a.id.empty()) continue;
    in.attachments.push_back(std::move(a));
  }
}

}  // namespace

callback_inbound parse_callback_body(std::string_view body, const callback_body_options& options) {
  callback_inbound in;
  auto v = json_util::parse(body);
  if (!v || !v->is_object()) {
    in.reason = "body is not a JSON object";
    return in;
  }
  const json::object& b = v->get_object();
  in.message_id = std::string(json_util::string_at(b, "message_id"));
  in.correlation_id = std::string(json_util::string_at(b, "correlation_id"));
  in.platform = lower(json_util::string_at(b, "platform"));
  in.reply_token = std::string(json_util::string_at(b, "reply_token"));
  in.reply_to_platform_message_id =
      std::string(json_util::string_at(b, "reply_to_platform_message_id"));
  in.thread_id = std::string(json_util::string_at(b, "thread_id"));
  in.timestamp = std::string(json_util::string_at(b, "timestamp"));
  if (const json::object* a = json_util::object_at(b, "agent")) {
    in.api_key_id = std::string(json_util::string_at(*a, "api_key_id"));
    in.agent_name = std::string(json_util::string_at(*a, "name"));
  }
  const json::object* conv = json_util::object_at(b, "conversation");
  if (conv) {
    in.route_id = std::string(json_util::string_at(*conv, "id"));
    in.chat_id = std::string(json_util::string_at(*conv, "platform_id"));
    in.route_type = lower(json_util::string_at(*conv, "type"));
  }
  if (const json::object* s = json_util::object_at(b, "sender")) {
    in.sender_id = std::string(json_util::string_at(*s, "platform_id"));
    in.sender_name = std::string(json_util::string_at(*s, "display_name"));
  }
  std::string missing;
  for (auto [name, value] :
       {std::pair<const char*, const std::string*>{"message_id", &in.message_id},
        {"platform", &in.platform},
        {"conversation.platform_id", &in.chat_id},
        {"sender.platform_id", &in.sender_id}})
    if (value->empty()) missing += missing.empty() ? name : std::string(", ") + name;
  if (!missing.empty()) {
    in.reason = "missing " + missing;
    return in;
  }

  if (const json::object* raw = json_util::object_at(b, "raw_platform_data")) {
    in.kind = kind_from_raw(in.platform, *raw);
    in.kind_from_raw = in.kind != chat_kind::unknown;
    raw_ids(in.platform, *raw, in);
  }
  if (in.kind == chat_kind::unknown) {
    if (in.route_type == "group" || in.route_type == "channel")
      in.kind = chat_kind::group;
    else if (in.route_type == "private" && options.trust_route_private)
      in.kind = chat_kind::dm;
  }

  const json::object* content = json_util::object_at(b, "content");
  in.content_type = content ? std::string(json_util::string_at(*content, "type")) : std::string();
  if (content) in.text = std::string(json_util::string_at(*content, "text"));
  if (content) read_attachments(*content, in);
  in.result = callback_inbound::status::ignored;
  if (!in.attachments.empty() && in.content_type != "card_action") {
    if (in.content_type != "text" || blank(in.text)) in.text.clear();
    if (in.text.size() > options.max_text_bytes)
      in.reason = "text too large";
    else
      in.result = callback_inbound::status::message;
  } else if (in.content_type == "card_action") {
    in.reason = "card action";
    in.text.clear();  // card_action text is a JSON payload, not user text
  } else if (in.content_type != "text" || blank(in.text)) {
    // Nothing readable: a message with empty text, answered by the host (never dropped).
    in.reason = in.content_type.empty()     ? "no content type"
                : in.content_type != "text" ? "unsupported content type"
                                            : "empty text";
    in.text.clear();
    in.result = callback_inbound::status::message;
  } else if (in.text.size() > options.max_text_bytes) {
    in.reason = "text too large";
  } else {
    in.result = callback_inbound::status::message;
  }
  return in;
}

}  // namespace patchbay::plugins::nyxid
