// relay_ledger: state, tokens and control (the endpoints are in relay_endpoints.cpp).
#include "relay_ledger.hpp"

#include <boost/json/array.hpp>

#include "patchbay/common/json_util.hpp"

namespace patchbay::fakes::nyxid {

namespace json = boost::json;
namespace json_util = patchbay::common::json_util;

relay_answer envelope(unsigned status, std::string_view error, std::int64_t code,
                      std::string message) {
  relay_answer a;
  a.status = status;
  a.body = json::object{{"error", error}, {"error_code", code}, {"message", std::move(message)}};
  return a;
}

relay_ledger::relay_ledger(relay_settings settings, key_store& keys, id_source& ids)
    : settings_(std::move(settings)), keys_(keys), ids_(ids) {}

const relay_ledger::api_key& relay_ledger::add_api_key(std::string name,
                                                       std::optional<std::string> key) {
  api_keys_.push_back(api_key{ids_.uuid(), key ? *key : ids_.api_key(), std::move(name), true});
  return api_keys_.back();
}

const relay_ledger::api_key* relay_ledger::key_by_id(std::string_view id) const {
  for (const auto& k : api_keys_)
    if (k.id == id) return &k;
  return nullptr;
}

const relay_ledger::api_key* relay_ledger::key_by_secret(std::string_view secret) const {
  for (const auto& k : api_keys_)
    if (!secret.empty() && k.key == secret) return &k;
  return nullptr;
}

std::string relay_ledger::bot_for(std::string_view platform) {
  auto it = bots_.find(platform);
  if (it != bots_.end()) return it->second;
  std::string id = ids_.uuid();
  bots_.emplace(std::string(platform), id);
  bot_active_[id] = true;
  return id;
}

relay_ledger::conversation& relay_ledger::route_for(std::string_view platform,
                                                    std::string_view chat_id, bool per_chat,
                                                    std::string_view chat_type,
                                                    std::string_view default_type,
                                                    std::string_view api_key_id) {
  const std::string index = std::string(platform) + "\n" +
                            (per_chat ? std::string(chat_id) : std::string("*")) + "\n" +
                            std::string(api_key_id);
  if (auto it = route_index_.find(index); it != route_index_.end())
    return conversations_.at(it->second);
  conversation c;
  c.id = ids_.uuid();
  c.platform = std::string(platform);
  c.bot_id = bot_for(platform);
  c.api_key_id = std::string(api_key_id);
  c.type = std::string(per_chat ? chat_type : default_type);
  c.chat_id = per_chat ? std::string(chat_id) : std::string();
  route_index_[index] = c.id;
  return conversations_.emplace(c.id, c).first->second;
}

relay_ledger::inbound& relay_ledger::add_inbound(inbound in) {
  const std::string id = in.message_id;
  inbound_order_.push_back(id);
  auto& stored = inbound_[id] = std::move(in);
  bound_rows();
  return stored;
}

const relay_ledger::inbound* relay_ledger::find_inbound(std::string_view message_id) const {
  auto it = inbound_.find(std::string(message_id));
  return it == inbound_.end() ? nullptr : &it->second;
}

void relay_ledger::bound_rows() {
  while (inbound_order_.size() > settings_.max_messages) {
    inbound_.erase(inbound_order_.front());
    inbound_order_.pop_front();
  }
  while (outbound_order_.size() > settings_.max_messages) {
    outbound_.erase(outbound_order_.front());
    outbound_order_.pop_front();
  }
}

std::string relay_ledger::mint_reply_token(const inbound& in, std::int64_t now_ms,
                                           const json::object& overrides, bool unpublished_key) {
  const std::int64_t now = now_ms / 1000;
  const conversation* conv = nullptr;
  if (auto it = conversations_.find(in.conversation_id); it != conversations_.end())
    conv = &it->second;
  json::object claims{{"iss", settings_.issuer},
                      {"aud", reply_audience},
                      {"exp", now + settings_.reply_ttl_s},
                      {"iat", now},
                      {"jti", ids_.uuid()},
                      {"token_type", "relay_reply"},
                      {"api_key_id", conv ? conv->api_key_id : std::string()},
                      {"conversation_id", in.conversation_id},
                      {"inbound_message_id", in.message_id},
                      {"platform", in.platform}};
  for (const auto& [k, v] : overrides) {
    if (v.is_null()) {
      claims.erase(k);
    } else {
      claims[k] = v;
    }
  }
  return unpublished_key ? sign_jwt(keys_.unpublished(), claims) : keys_.sign(claims);
}

std::string relay_ledger::set_state(const json::object& body) {
  bool touched = false;
  if (const auto* v = body.if_contains("api_key_active")) {
    const std::string_view id = json_util::string_at(body, "api_key_id");
    if (!v->is_bool()) return "api_key_active must be a boolean";
    for (auto& k : api_keys_)
      if (id.empty() || k.id == id) k.active = v->get_bool(), touched = true;
    if (!touched) return "unknown api_key_id";
  }
  if (const auto* v = body.if_contains("bot_active")) {
    const std::string_view platform = json_util::string_at(body, "platform");
    if (!v->is_bool() || platform.empty()) return "bot_active needs a boolean and a platform";
    bot_active_[bot_for(lower(platform))] = v->get_bool();
    touched = true;
  }
  const bool conv_change = body.contains("conversation_active") || body.contains("scope_conflict");
  if (conv_change) {
    std::string id(json_util::string_at(body, "conversation_id"));
    if (id.empty())
      if (const inbound* in = find_inbound(json_util::string_at(body, "message_id")))
        id = in->conversation_id;
    auto it = conversations_.find(id);
    if (it == conversations_.end()) return "unknown conversation_id / message_id";
    if (const auto* v = body.if_contains("conversation_active"); v && v->is_bool())
      it->second.active = v->get_bool();
    if (const auto* v = body.if_contains("scope_conflict"); v && v->is_bool())
      it->second.scope_conflict = v->get_bool();
    touched = true;
  }
  return touched ? ""
                 : "nothing to change (api_key_active, bot_active, conversation_active, "
                   "scope_conflict)";
}

json::object relay_ledger::state_json() const {
  json::array keys, bots, convs;
  for (const auto& k : api_keys_)
    keys.push_back(json::object{{"id", k.id}, {"name", k.name}, {"active", k.active}});
  for (const auto& [platform, id] : bots_)
    bots.push_back(
        json::object{{"platform", platform}, {"id", id}, {"active", bot_active_.at(id)}});
  for (const auto& [id, c] : conversations_) {
    convs.push_back(json::object{{"id", id},
                                 {"platform", c.platform},
                                 {"bot_id", c.bot_id},
                                 {"api_key_id", c.api_key_id},
                                 {"type", c.type},
                                 {"chat_id", c.chat_id},
                                 {"active", c.active},
                                 {"scope_conflict", c.scope_conflict}});
  }
  return json::object{{"api_keys", std::move(keys)},
                      {"bots", std::move(bots)},
                      {"conversations", std::move(convs)},
                      {"inbound_messages", inbound_.size()},
                      {"used_jtis", used_jtis_.size()}};
}

json::array relay_ledger::sent_json() const {
  json::array out;
  for (const auto& key : outbound_order_) {
    const auto it = outbound_.find(key);
    if (it == outbound_.end()) continue;
    const outbound& o = it->second;
    json::array edits;
    for (const auto& e : o.edits) edits.push_back(json::string(e));
    json::object r{{"message_id", o.message_id},
                   {"platform_message_id", o.platform_message_id},
                   {"inbound_message_id", o.inbound_message_id},
                   {"conversation_id", o.conversation_id},
                   {"platform", o.platform},
                   {"chat_id", o.chat_id},
                   {"reply_to", o.reply_to},
                   {"first_text", o.first_text},
                   {"text", o.text},
                   {"metadata", o.metadata},
                   {"edit_count", o.edit_count},
                   {"edits", std::move(edits)},
                   {"credential", o.credential},
                   {"jti", o.jti},
                   {"time_ms", o.time_ms},
                   {"edited_ms", o.edited_ms}};
    out.push_back(std::move(r));
  }
  return out;
}

void relay_ledger::reset() {
  inbound_.clear();
  inbound_order_.clear();
  outbound_.clear();
  outbound_order_.clear();
  used_jtis_.clear();
  limiter_.clear();
  for (auto& k : api_keys_) k.active = true;
  for (auto& [id, active] : bot_active_) active = true;
  for (auto& [id, c] : conversations_) c.active = true, c.scope_conflict = false;
}

void relay_ledger::prune_jtis(std::int64_t now_ms) {
  for (auto it = used_jtis_.begin(); it != used_jtis_.end();)
    it = it->second < now_ms ? used_jtis_.erase(it) : std::next(it);
}

}  // namespace patchbay::fakes::nyxid
