#include <boost/json.hpp>

#include "messages/messages.hpp"
#include "patchbay/common/base64.hpp"

namespace patchbay::messages {
using common::base64_decode;
using common::base64_encode;
namespace json = boost::json;

std::string to_json(const inbound_message& m) {
  json::object o;
  o["channel_id"] = m.channel_id;
  o["event_id"] = m.event_id;
  o["conversation_id"] = m.conversation_id;
  o["conversation_kind"] = m.conversation_kind;
  o["thread_id"] = m.thread_id;
  o["message_id"] = m.message_id;
  o["sender_id"] = m.sender_id;
  o["sender_name"] = m.sender_name;
  o["text"] = m.text;
  json::array mentions;
  for (const auto& x : m.mentions)
    mentions.push_back(json::object{
        {"user_id", x.user_id}, {"display_name", x.display_name}, {"is_bot_self", x.is_bot_self}});
  o["mentions"] = std::move(mentions);
  json::array atts;
  for (const auto& a : m.attachments)
    atts.push_back(json::object{{"kind", a.kind},
                                {"id", a.id},
                                {"name", a.name},
                                {"mime_type", a.mime_type},
                                {"url", a.url},
                                {"size", a.size}});
  o["attachments"] = std::move(atts);
  o["reply_context_b64"] = base64_encode(m.reply_context);
  o["sent_at_unix_ms"] = m.sent_at_unix_ms;
  if (m.capabilities) {
    const auto& c = *m.capabilities;
    o["capabilities"] = json::object{{"max_message_size", c.max_message_size},
                                     {"message_size_unit", c.message_size_unit},
                                     {"can_edit", c.can_edit},
                                     {"can_typing", c.can_typing},
                                     {"can_ephemeral", c.can_ephemeral},
                                     {"reply_token", c.reply_token},
                                     {"min_edit_interval_ms", c.min_edit_interval_ms},
                                     {"max_edits_per_message", c.max_edits_per_message}};
  }
  if (!m.raw_json.empty()) o["raw_json"] = m.raw_json;
  return json::serialize(o);
}

std::optional<inbound_message> inbound_from_json(std::string_view text, std::string* error) {
  try {
    json::value v = json::parse(text);
    const json::object& o = v.as_object();
    auto str = [&](const char* k) -> std::string {
      auto* p = o.if_contains(k);
      return p && p->is_string() ? std::string(p->as_string()) : std::string();
    };
    auto num = [&](const json::object& obj, const char* k) -> int64_t {
      auto* p = obj.if_contains(k);
      return p ? p->to_number<int64_t>() : 0;
    };
    inbound_message m;
    m.channel_id = str("channel_id");
    m.event_id = str("event_id");
    m.conversation_id = str("conversation_id");
    m.conversation_kind = static_cast<int32_t>(num(o, "conversation_kind"));
    m.thread_id = str("thread_id");
    m.message_id = str("message_id");
    m.sender_id = str("sender_id");
    m.sender_name = str("sender_name");
    m.text = str("text");
    if (auto* a = o.if_contains("mentions"))
      for (const auto& x : a->as_array()) {
        const auto& mo = x.as_object();
        m.mentions.push_back({std::string(mo.at("user_id").as_string()),
                              std::string(mo.at("display_name").as_string()),
                              static_cast<int32_t>(num(mo, "is_bot_self"))});
      }
    if (auto* a = o.if_contains("attachments"))
      for (const auto& x : a->as_array()) {
        const auto& ao = x.as_object();
        attachment at;
        at.kind = ao.at("kind").as_string();
        at.id = ao.at("id").as_string();
        at.name = ao.at("name").as_string();
        at.mime_type = ao.at("mime_type").as_string();
        at.url = ao.at("url").as_string();
        at.size = static_cast<uint64_t>(num(ao, "size"));
        m.attachments.push_back(std::move(at));
      }
    auto rc = base64_decode(str("reply_context_b64"));
    if (!rc) throw std::runtime_error("reply_context_b64 is not base64");
    m.reply_context = std::move(*rc);
    m.sent_at_unix_ms = num(o, "sent_at_unix_ms");
    if (auto* c = o.if_contains("capabilities")) {
      const auto& co = c->as_object();
      pb_capabilities caps{};
      caps.struct_size = sizeof caps;
      caps.max_message_size = static_cast<uint32_t>(num(co, "max_message_size"));
      caps.message_size_unit = static_cast<int32_t>(num(co, "message_size_unit"));
      caps.can_edit = static_cast<int32_t>(num(co, "can_edit"));
      caps.can_typing = static_cast<int32_t>(num(co, "can_typing"));
      caps.can_ephemeral = static_cast<int32_t>(num(co, "can_ephemeral"));
      caps.reply_token = static_cast<int32_t>(num(co, "reply_token"));
      caps.min_edit_interval_ms = static_cast<uint32_t>(num(co, "min_edit_interval_ms"));
      caps.max_edits_per_message = static_cast<uint32_t>(num(co, "max_edits_per_message"));
      m.capabilities = caps;
    }
    m.raw_json = str("raw_json");
    return m;
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

}  // namespace patchbay::messages
