// The stored JSON form of an outbound operation (a row of the durable outbound queue).
#include <boost/json.hpp>

#include <stdexcept>

#include "messages/messages.hpp"
#include "patchbay/common/base64.hpp"

namespace patchbay::messages {
namespace json = boost::json;

std::string to_json(const outbound_op& op) {
  json::object o;
  if (op.single_use_token) o["single_use_token"] = true;
  if (op.is_edit) {
    const auto& e = op.edit;
    o["op"] = "edit";
    o["conversation_id"] = e.conversation_id;
    o["message_id"] = e.message_id;
    o["reply_context_b64"] = common::base64_encode(e.reply_context);
    o["text"] = e.text;
    o["turn_id"] = e.turn_id;
    if (e.flags) o["flags"] = e.flags;
  } else {
    const auto& m = op.send;
    o["op"] = "send";
    o["conversation_id"] = m.conversation_id;
    o["thread_id"] = m.thread_id;
    o["reply_to_message_id"] = m.reply_to_message_id;
    o["reply_context_b64"] = common::base64_encode(m.reply_context);
    o["text"] = m.text;
    o["turn_id"] = m.turn_id;
    o["recipient_id"] = m.recipient_id;
    o["flags"] = m.flags;
    if (const auto& a = m.attachment) {
      o["attachment"] =
          json::object{{"kind", a->kind}, {"name", a->name}, {"mime_type", a->mime_type},
                       {"path", a->path}, {"size", a->size}, {"md5_hex", a->md5_hex}};
    }
  }
  return json::serialize(o);
}

std::optional<outbound_op> outbound_op_from_json(std::string_view text, std::string* error) {
  try {
    const json::object o = json::parse(text).as_object();
    auto str = [&](const char* k) -> std::string {
      const auto* v = o.if_contains(k);
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    auto rc = common::base64_decode(str("reply_context_b64"));
    if (!rc) throw std::runtime_error("reply_context_b64 is not base64");
    outbound_op op;
    const auto* su = o.if_contains("single_use_token");
    op.single_use_token = su && su->is_bool() && su->get_bool();
    const auto* f = o.if_contains("flags");
    const uint32_t flags =
        f && f->is_number() ? static_cast<uint32_t>(f->to_number<uint64_t>()) : 0;
    std::string kind = str("op");
    if (kind == "edit") {
      op.is_edit = true;
      op.edit = edit_request{str("conversation_id"), str("message_id"),
                             std::move(*rc),         str("text"),
                             str("turn_id"),         flags};
    } else if (kind == "send") {
      auto& m = op.send;
      m.conversation_id = str("conversation_id");
      m.thread_id = str("thread_id");
      m.reply_to_message_id = str("reply_to_message_id");
      m.reply_context = std::move(*rc);
      m.text = str("text");
      m.turn_id = str("turn_id");
      m.recipient_id = str("recipient_id");
      const auto* f = o.if_contains("flags");
      m.flags = f && f->is_number() ? static_cast<uint32_t>(f->to_number<uint64_t>()) : 0;
      if (const auto* a = o.if_contains("attachment"); a && a->is_object()) {
        const json::object& ao = a->get_object();
        auto astr = [&](const char* k) -> std::string {
          const auto* v = ao.if_contains(k);
          return v && v->is_string() ? std::string(v->get_string()) : std::string();
        };
        const auto* size = ao.if_contains("size");
        m.attachment = outbound_attachment{
            astr("kind"),      astr("name"),
            astr("mime_type"), astr("path"),
            astr("md5_hex"),   size && size->is_number() ? size->to_number<uint64_t>() : 0};
        if (m.attachment->path.empty()) throw std::runtime_error("attachment without a path");
      }
    } else {
      throw std::runtime_error("unknown op '" + kind + "'");
    }
    return op;
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

}  // namespace patchbay::messages
