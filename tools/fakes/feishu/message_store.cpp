#include "message_store.hpp"

#include <boost/json/parse.hpp>

#include <chrono>

namespace patchbay::fakes::feishu {

namespace json = boost::json;

namespace {

void collect_post_text(const json::value& v, std::string& out) {
  if (v.is_array()) {
    for (const auto& x : v.get_array()) collect_post_text(x, out);
  } else if (v.is_object()) {
    const auto& o = v.get_object();
    if (const auto* t = o.if_contains("text"); t && t->is_string()) {
      if (!out.empty() && out.back() != '\n') out += ' ';
      out += t->get_string();
    }
    if (const auto* c = o.if_contains("content")) collect_post_text(*c, out);
  }
}

}  // namespace

std::string text_of_content(std::string_view msg_type, std::string_view content_json) {
  json::error_code ec;
  const auto v = json::parse(content_json, ec);
  if (ec || !v.is_object()) return {};
  const auto& o = v.get_object();
  std::string out;
  if (msg_type == "text") {
    if (const auto* t = o.if_contains("text"); t && t->is_string()) out = t->get_string();
  } else if (msg_type == "post") {
    // {"zh_cn":{"title","content":[[{tag,text}]]}} or the bare {"title","content"} form.
    const json::object* body = &o;
    for (const auto& [k, val] : o) {
      if (val.is_object() && val.get_object().contains("content")) body = &val.get_object();
    }
    if (const auto* c = body->if_contains("content")) collect_post_text(*c, out);
  } else if (msg_type == "interactive") {
    if (const auto* b = o.if_contains("body")) collect_post_text(*b, out);
    if (const auto* e = o.if_contains("elements")) collect_post_text(*e, out);
  }
  return out;
}

stored_message& message_store::add(stored_message m) {
  while (messages_.size() >= std::max<std::size_t>(max_, 1) && !order_.empty()) {
    messages_.erase(order_.front());
    order_.pop_front();
  }
  if (!m.uuid.empty()) {
    prune_uuids(m.create_ms);
    const std::string key = m.app_id + "\n" + m.uuid;
    uuids_[key] = {m.message_id, m.create_ms};
    uuid_order_.emplace_back(m.create_ms, key);
  }
  m.stored_wall_us = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const std::string id = m.message_id;
  order_.push_back(id);
  return messages_[id] = std::move(m);
}

stored_message* message_store::find(std::string_view message_id) {
  const auto it = messages_.find(std::string(message_id));
  return it == messages_.end() ? nullptr : &it->second;
}

stored_message* message_store::by_uuid(std::string_view app_id, std::string_view uuid,
                                       std::int64_t now_ms) {
  prune_uuids(now_ms);
  const auto it = uuids_.find(std::string(app_id) + "\n" + std::string(uuid));
  if (it == uuids_.end()) return nullptr;
  return find(it->second.message_id);
}

void message_store::prune_uuids(std::int64_t now_ms) {
  while (!uuid_order_.empty() && uuid_order_.front().first + uuid_window_ms <= now_ms) {
    const auto it = uuids_.find(uuid_order_.front().second);
    if (it != uuids_.end() && it->second.time_ms == uuid_order_.front().first) uuids_.erase(it);
    uuid_order_.pop_front();
  }
}

json::array message_store::to_json(std::string_view chat_filter) const {
  json::array out;
  for (const auto& id : order_) {
    const auto it = messages_.find(id);
    if (it == messages_.end() || !it->second.from_bot) continue;
    const auto& m = it->second;
    if (!chat_filter.empty() && m.chat_id != chat_filter) continue;
    json::array hist;
    for (const auto& h : m.history) hist.emplace_back(h);
    out.push_back(json::object{{"message_id", m.message_id},
                               {"app_id", m.app_id},
                               {"chat_id", m.chat_id},
                               {"msg_type", m.msg_type},
                               {"content", m.content},
                               {"text", m.text},
                               {"reply_to", m.reply_to},
                               {"uuid", m.uuid},
                               {"card_id", m.card_id},
                               {"edits", m.edits},
                               {"patches", m.patches},
                               {"create_time_ms", m.create_ms},
                               {"stored_wall_us", m.stored_wall_us},
                               {"history", std::move(hist)}});
  }
  return out;
}

void message_store::clear() {
  messages_.clear();
  order_.clear();
  uuids_.clear();
  uuid_order_.clear();
}

}  // namespace patchbay::fakes::feishu
