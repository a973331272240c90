#include "proxy_script.hpp"

#include "patchbay/common/json_util.hpp"

namespace patchbay::fakes::nyxid {

namespace json = boost::json;
namespace json_util = patchbay::common::json_util;

std::optional<proxy_rule> parse_proxy_rule(const json::object& o, std::string& error) {
  proxy_rule r;
  const std::string_view preset = json_util::string_at(o, "preset");
  if (preset == "cross_tenant") {
    r.lark_code = 99992364, r.msg = "user id cross tenant";
  } else if (preset == "cross_app") {
    r.lark_code = 99992361, r.msg = "open_id cross app";
  } else if (preset == "bot_not_in_chat") {
    r.lark_code = 230002, r.msg = "Bot/User can NOT be out of the chat.";
  } else if (preset == "scope_forbidden") {
    r.scope_forbidden = true, r.http_status = 403;
  } else if (!preset.empty()) {
    error = "unknown preset (cross_tenant, cross_app, bot_not_in_chat, scope_forbidden)";
    return std::nullopt;
  }
  r.slug = std::string(json_util::string_at(o, "slug"));
  r.method = std::string(json_util::string_at(o, "method"));
  r.path_contains = std::string(json_util::string_at(o, "path"));
  r.receive_id_type = std::string(json_util::string_at(o, "receive_id_type"));
  if (auto c = json_util::int_at(o, "count")) r.count = static_cast<int>(*c);
  if (auto s = json_util::int_at(o, "http_status")) {
    if (*s < 100 || *s > 599) {
      error = "http_status must be 100..599";
      return std::nullopt;
    }
    r.http_status = static_cast<unsigned>(*s);
  }
  if (auto c = json_util::int_at(o, "code")) r.lark_code = *c;
  if (o.contains("msg")) r.msg = std::string(json_util::string_at(o, "msg"));
  if (json_util::string_at(o, "nyx_error") == "api_key_scope_forbidden")
    r.scope_forbidden = true, r.http_status = 403;
  if (!r.scope_forbidden && r.lark_code == 0 && r.http_status < 400) {
    error = "a proxy rule needs a preset, a non-zero code, an error http_status or nyx_error";
    return std::nullopt;
  }
  if (r.count == 0) r.count = 1;
  return r;
}

json::array proxy_script::rules_json() const {
  json::array a;
  for (const auto& r : rules_) {
    a.push_back(json::object{{"slug", r.slug},
                             {"method", r.method},
                             {"path", r.path_contains},
                             {"receive_id_type", r.receive_id_type},
                             {"count", r.count},
                             {"http_status", r.http_status},
                             {"code", r.lark_code},
                             {"msg", r.msg},
                             {"scope_forbidden", r.scope_forbidden}});
  }
  return a;
}

std::optional<proxy_rule> proxy_script::take_rule(const proxy_request& req,
                                                  std::string_view receive_id_type) {
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    const proxy_rule& r = *it;
    if (!r.slug.empty() && !iequals(r.slug, req.slug)) continue;
    if (!r.method.empty() && !iequals(r.method, req.method)) continue;
    if (!r.path_contains.empty() && req.path.find(r.path_contains) == std::string::npos) continue;
    if (!r.receive_id_type.empty() && r.receive_id_type != receive_id_type) continue;
    proxy_rule out = r;
    if (it->count > 0 && --it->count == 0) rules_.erase(it);
    return out;
  }
  return std::nullopt;
}

proxy_answer proxy_script::handle(const proxy_request& req, std::int64_t now_ms) {
  record rec;
  rec.seq = ++seq_;
  rec.time_ms = now_ms;
  rec.req = req;
  rec.receive_id_type = form_param(req.query, "receive_id_type").value_or("");
  if (auto v = json_util::parse(req.body); v && v->is_object()) {
    const json::object& b = v->get_object();
    rec.receive_id = std::string(json_util::string_at(b, "receive_id"));
    rec.msg_type = std::string(json_util::string_at(b, "msg_type"));
    rec.content = std::string(json_util::string_at(b, "content"));
    if (auto c = json_util::parse(rec.content); c && c->is_object())
      rec.text = std::string(json_util::string_at(c->get_object(), "text"));
  }
  static constexpr std::string_view messages = "/open-apis/im/v1/messages";
  const bool is_messages = req.path.rfind(messages, 0) == 0;
  std::string rest = is_messages ? req.path.substr(messages.size()) : std::string();
  if (!rest.empty() && rest[0] == '/') rest.erase(0, 1);
  const auto slash = rest.find('/');
  rec.target_message_id = rest.substr(0, slash);

  proxy_answer a;
  if (auto rule = take_rule(req, rec.receive_id_type)) {
    if (rule->scope_forbidden) {
      a.status = 403;
      a.body = json::object{
          {"error", "api_key_scope_forbidden"},
          {"error_code", 9000},
          {"message", "API key scope forbidden: API key does not have access to this service"}};
      rec.error = "api_key_scope_forbidden";
    } else {
      a.status = rule->http_status;
      a.body = json::object{{"code", rule->lark_code}, {"msg", rule->msg}};
      rec.code = rule->lark_code;
    }
  } else if (is_messages && iequals(req.method, "POST")) {
    // Send (no id) or reply (om_…/reply): a new Lark message.
    rec.message_id = "om_" + ids_.hex(32);
    a.body = json::object{
        {"code", 0},
        {"msg", "success"},
        {"data", json::object{{"message_id", rec.message_id},
                              {"msg_type", rec.msg_type},
                              {"chat_id", rec.receive_id_type == "chat_id" ? rec.receive_id
                                                                           : std::string()}}}};
  } else {
    // PUT/PATCH edits, GETs and anything else: success without data of interest.
    a.body = json::object{{"code", 0}, {"msg", "success"}, {"data", json::object{}}};
  }
  rec.status = a.status;
  records_.push_back(std::move(rec));
  while (records_.size() > max_records) records_.pop_front();
  return a;
}

json::array proxy_script::sent_json() const {
  json::array a;
  for (const auto& r : records_) {
    a.push_back(json::object{{"seq", r.seq},
                             {"time_ms", r.time_ms},
                             {"slug", r.req.slug},
                             {"method", r.req.method},
                             {"path", r.req.path},
                             {"query", r.req.query},
                             {"credential", r.req.credential},
                             {"receive_id_type", r.receive_id_type},
                             {"receive_id", r.receive_id},
                             {"msg_type", r.msg_type},
                             {"content", r.content},
                             {"text", r.text},
                             {"target_message_id", r.target_message_id},
                             {"status", r.status},
                             {"code", r.code},
                             {"error", r.error},
                             {"message_id", r.message_id}});
  }
  return a;
}

void proxy_script::reset() {
  rules_.clear();
  records_.clear();
}

}  // namespace patchbay::fakes::nyxid
