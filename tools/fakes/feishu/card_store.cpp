#include "card_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace patchbay::fakes::feishu {

namespace json = boost::json;

namespace {

// Codes the platform answers (§3.8); the ones marked "fake" are this fake's choice where the
// platform's own code is not known.
constexpr std::int64_t code_field_validation = 99992402;
constexpr std::int64_t code_card_json = 200621;
constexpr std::int64_t code_card_not_found = 300301;  // fake
constexpr std::int64_t code_element_not_found = 300313;
constexpr std::int64_t code_sequence_conflict = 300317;
constexpr std::int64_t code_streaming_closed = 300309;
constexpr std::int64_t code_streaming_timeout = 200850;
constexpr std::int64_t code_rate_limited = 230020;
constexpr std::int64_t code_already_sent = 300302;  // fake

card_answer fail(std::int64_t code, std::string msg) {
  return card_answer{code, std::move(msg), {}};
}

const json::object* object_at(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

// The card JSON's rules and what the fake keeps of it: streaming mode, summary, elements with ids.
card_answer parse_card(const json::object& c, card_entity& e) {
  const auto* schema = c.if_contains("schema");
  if (!schema || !schema->is_string() || schema->get_string() != "2.0")
    return fail(code_card_json, "card entities take card JSON 2.0 only (schema \"2.0\")");
  if (const auto* config = object_at(c, "config")) {
    if (const auto* um = config->if_contains("update_multi");
        um && um->is_bool() && !um->get_bool())
      return fail(code_card_json, "update_multi:false is not allowed for card entities");
    if (const auto* sm = config->if_contains("streaming_mode")) {
      if (!sm->is_bool()) return fail(code_card_json, "config.streaming_mode must be a bool");
      e.streaming = sm->get_bool();
    }
    if (const auto* s = object_at(*config, "summary"))
      if (const auto* t = s->if_contains("content"); t && t->is_string())
        e.summary = t->get_string();
  }
  const auto* b = object_at(c, "body");
  const auto* elements = b ? b->if_contains("elements") : nullptr;
  if (!elements || !elements->is_array())
    return fail(code_card_json, "a JSON 2.0 card needs body.elements");
  for (const auto& v : elements->get_array()) {
    if (!v.is_object()) return fail(code_card_json, "an element is not an object");
    const auto& el = v.get_object();
    const auto* id = el.if_contains("element_id");
    if (!id) continue;
    if (!id->is_string() || id->get_string().empty() || id->get_string().size() > 20)
      return fail(code_card_json, "element_id must be a string of 1 to 20 characters");
    const std::string eid(id->get_string());
    if (e.elements.count(eid)) return fail(code_card_json, "duplicate element_id " + eid);
    const auto* content = el.if_contains("content");
    e.elements[eid] = content && content->is_string() ? std::string(content->get_string()) : "";
    e.element_order.push_back(eid);
  }
  return {};
}

}  // namespace

std::string card_entity::text() const {
  std::string out;
  for (const auto& id : element_order) {
    if (!out.empty()) out += '\n';
    out += elements.at(id);
  }
  return out;
}

card_answer card_store::create(std::string_view app_id, const json::object& body, std::int64_t now,
                               std::string card_id) {
  const auto* type = body.if_contains("type");
  if (!type || !type->is_string() || type->get_string() != "card_json")
    return fail(code_field_validation, "field validation failed: type must be card_json");
  const auto* data = body.if_contains("data");
  json::error_code ec;
  const json::value card =
      data && data->is_string() ? json::parse(data->get_string(), ec) : json::value();
  if (ec || !card.is_object())
    return fail(code_card_json,
                "parse card json err, please check whether the card json is correct");
  card_entity e;
  if (auto bad = parse_card(card.get_object(), e); bad.code != 0) return bad;
  e.card_id = std::move(card_id);
  e.app_id = std::string(app_id);
  e.created_ms = now;
  e.streaming_since_ms = now;
  while (cards_.size() >= max_cards && !order_.empty()) {
    cards_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(e.card_id);
  card_answer ok{0, "success", e.card_id};
  cards_[e.card_id] = std::move(e);
  return ok;
}

card_entity* card_store::find(const std::string& card_id) {
  auto it = cards_.find(card_id);
  return it == cards_.end() ? nullptr : &it->second;
}

card_answer card_store::check_common(card_entity& c, const json::object& body, std::int64_t now,
                                     const limits& l) {
  const auto* seq = body.if_contains("sequence");
  if (!seq || !seq->is_int64() || seq->get_int64() < 1)
    return fail(code_field_validation, "field validation failed: sequence");
  if (const auto* u = body.if_contains("uuid");
      u && (!u->is_string() || u->get_string().size() > 64))
    return fail(code_field_validation, "field validation failed: uuid");
  if (seq->get_int64() <= c.last_sequence)
    return fail(code_sequence_conflict, "sequence number compare failed");
  while (!c.recent.empty() && c.recent.front() <= now - 1000) c.recent.pop_front();
  if (static_cast<int>(c.recent.size()) >= l.rate_per_s)
    return fail(code_rate_limited, "card update frequency limit");
  return {};
}

card_answer card_store::content(std::string_view app_id, const std::string& card_id,
                                const std::string& element_id, const json::object& body,
                                std::int64_t now, const limits& l) {
  card_entity* c = find(card_id);
  if (!c || c->app_id != app_id) return fail(code_card_not_found, "card not found: " + card_id);
  if (!c->elements.count(element_id))
    return fail(code_element_not_found, "element not found: " + element_id);
  const auto* content = body.if_contains("content");
  if (!content || !content->is_string())
    return fail(code_field_validation, "field validation failed: content");
  if (c->streaming && now - c->streaming_since_ms >= l.streaming_timeout_ms) {
    c->streaming = false;
    c->timed_out = true;
    return fail(code_streaming_timeout, "card streaming timeout");
  }
  if (!c->streaming) return fail(code_streaming_closed, "streaming mode is closed");
  if (auto e = check_common(*c, body, now, l); e.code != 0) return e;
  c->last_sequence = body.at("sequence").get_int64();
  c->recent.push_back(now);
  c->elements[element_id] = std::string(content->get_string());
  if (c->history.size() < max_history)
    c->history.push_back({now, "content", element_id, c->elements[element_id], c->last_sequence});
  return {0, "success", {}};
}

card_answer card_store::settings(std::string_view app_id, const std::string& card_id,
                                 const json::object& body, std::int64_t now, const limits& l) {
  card_entity* c = find(card_id);
  if (!c || c->app_id != app_id) return fail(code_card_not_found, "card not found: " + card_id);
  const auto* s = body.if_contains("settings");
  json::error_code ec;
  const json::value parsed = s && s->is_string() ? json::parse(s->get_string(), ec) : json::value();
  if (ec || !parsed.is_object())
    return fail(code_field_validation, "field validation failed: settings must be a JSON string");
  if (auto e = check_common(*c, body, now, l); e.code != 0) return e;
  if (c->streaming && now - c->streaming_since_ms >= l.streaming_timeout_ms) {
    c->streaming = false;  // timed out before this call: the settings still apply
    c->timed_out = true;
  }
  if (const auto* config = object_at(parsed.get_object(), "config")) {
    if (const auto* um = config->if_contains("update_multi");
        um && um->is_bool() && !um->get_bool())
      return fail(code_card_json, "update_multi:false is not allowed for card entities");
    if (const auto* sm = config->if_contains("streaming_mode")) {
      if (!sm->is_bool()) return fail(code_card_json, "config.streaming_mode must be a bool");
      if (sm->get_bool() && !c->streaming) c->streaming_since_ms = now;
      c->streaming = sm->get_bool();
    }
    if (const auto* sum = object_at(*config, "summary"))
      if (const auto* t = sum->if_contains("content"); t && t->is_string())
        c->summary = t->get_string();
  }
  c->last_sequence = body.at("sequence").get_int64();
  c->recent.push_back(now);
  if (c->history.size() < max_history)
    c->history.push_back({now, "settings", {}, std::string(s->get_string()), c->last_sequence});
  return {0, "success", {}};
}

card_answer card_store::update(std::string_view app_id, const std::string& card_id,
                               const json::object& body, std::int64_t now, const limits& l) {
  card_entity* c = find(card_id);
  if (!c || c->app_id != app_id) return fail(code_card_not_found, "card not found: " + card_id);
  const auto* card = object_at(body, "card");
  const auto* type = card ? card->if_contains("type") : nullptr;
  const auto* data = card ? card->if_contains("data") : nullptr;
  if (!type || !type->is_string() || type->get_string() != "card_json" || !data ||
      !data->is_string())
    return fail(code_field_validation, "field validation failed: card");
  json::error_code ec;
  const json::value parsed = json::parse(data->get_string(), ec);
  if (ec || !parsed.is_object())
    return fail(code_card_json,
                "parse card json err, please check whether the card json is correct");
  card_entity n;
  if (auto bad = parse_card(parsed.get_object(), n); bad.code != 0) return bad;
  if (auto e = check_common(*c, body, now, l); e.code != 0) return e;
  if (n.streaming && !c->streaming) c->streaming_since_ms = now;
  c->streaming = n.streaming;
  c->summary = n.summary;
  c->elements = std::move(n.elements);
  c->element_order = std::move(n.element_order);
  c->last_sequence = body.at("sequence").get_int64();
  c->recent.push_back(now);
  if (c->history.size() < max_history)
    c->history.push_back({now, "update", {}, c->text(), c->last_sequence});
  return {0, "success", {}};
}

card_answer card_store::attach(std::string_view app_id, const std::string& card_id,
                               const std::string& message_id) {
  card_entity* c = find(card_id);
  if (!c || c->app_id != app_id) return fail(code_card_not_found, "card not found: " + card_id);
  if (!c->message_id.empty()) return fail(code_already_sent, "a card entity is sent only once");
  c->message_id = message_id;
  return {0, "success", card_id};
}

json::array card_store::to_json(std::int64_t now, const limits& l) const {
  json::array out;
  for (const auto& id : order_) {
    const auto& c = cards_.at(id);
    const bool streaming = c.streaming && now - c.streaming_since_ms < l.streaming_timeout_ms;
    json::array history;
    for (const auto& h : c.history)
      history.push_back(json::object{{"time_ms", h.time_ms},
                                     {"what", h.what},
                                     {"element_id", h.element_id},
                                     {"text", h.text},
                                     {"sequence", h.sequence}});
    out.push_back(json::object{{"card_id", c.card_id},
                               {"app_id", c.app_id},
                               {"message_id", c.message_id},
                               {"text", c.text()},
                               {"streaming", streaming},
                               {"timed_out", c.timed_out || (c.streaming && !streaming)},
                               {"summary", c.summary},
                               {"last_sequence", c.last_sequence},
                               {"created_ms", c.created_ms},
                               {"history", std::move(history)}});
  }
  return out;
}

void card_store::end_streaming(const std::string& card_id) {
  if (card_entity* c = find(card_id)) {
    c->timed_out = c->timed_out || c->streaming;
    c->streaming = false;
  }
}

void card_store::clear() {
  cards_.clear();
  order_.clear();
}

}  // namespace patchbay::fakes::feishu
