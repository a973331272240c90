// fake_nyxid: the /_fake/ control API (tools/fakes/README.md, ## nyxid). Control requests are
// not recorded in /_fake/requests and never see faults.
#include <boost/json/array.hpp>

#include "fake_nyxid.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::fakes::nyxid {

namespace json = boost::json;
namespace json_util = patchbay::common::json_util;

namespace {

kit::http_response bad(const std::string& what) { return common::json_error(400, what); }

action respond(kit::http_response r) {
  action a;
  a.response = std::move(r);
  return a;
}

const std::vector<std::string> fault_kinds{"status", "delay", "drop", "platform_error", "proxy"};
const std::vector<std::string> fault_endpoints{"reply",     "reply_update", "token",    "authorize",
                                               "revoke",    "binding",      "register", "jwks",
                                               "discovery", "proxy",        "any"};

}  // namespace

action fake_nyxid::control(const kit::http_request& req) {
  json::object body;
  if (!req.body.empty()) {
    auto v = json_util::parse(req.body);
    if (!v || !v->is_object()) return respond(bad("the body must be a JSON object"));
    body = std::move(v->get_object());
  }
  const std::string_view p = std::string_view(req.path).substr(7);  // after "/_fake/"
  const bool get = req.method == "GET", post = req.method == "POST";
  if (p == "inject" && post) return inject(body);
  if (p == "redeliver" && post) return redeliver(body);
  if (p == "sent" && get) return respond(json_response(200, {{"sent", relay_.sent_json()}}));
  if (p == "proxy/sent" && get) return respond(json_response(200, {{"sent", proxy_.sent_json()}}));
  if (p == "requests" && get) {
    const std::string filter = form_param(req.query, "endpoint").value_or("");
    return respond(json_response(200, {{"requests", log_.to_json(filter)}}));
  }
  if (p == "callbacks" && get) {
    json::array a;
    for (const auto& c : callbacks_) {
      json::array forge;
      for (const auto& f : c.forge) forge.push_back(json::string(f));
      a.push_back(json::object{{"seq", c.seq},
                               {"time_ms", c.time_ms},
                               {"message_id", c.message_id},
                               {"correlation_id", c.jti},
                               {"url", c.url},
                               {"platform", c.platform},
                               {"forge", std::move(forge)},
                               {"done", c.done},
                               {"status", c.status},
                               {"error", c.error},
                               {"delivered", c.done && c.error.empty() && c.status == 202},
                               {"response_body", c.response_body}});
    }
    return respond(json_response(200, {{"callbacks", std::move(a)}}));
  }
  if (p == "fault" && post) return respond(arm_fault(body));
  if (p == "faults" && get) {
    json::array a;
    for (const auto& f : faults_) {
      a.push_back(json::object{{"kind", f.kind},
                               {"endpoint", f.endpoint},
                               {"count", f.count},
                               {"status", f.status},
                               {"ms", f.ms},
                               {"error", f.error},
                               {"error_code", f.error_code},
                               {"message", f.message},
                               {"lark_code", f.lark_code}});
    }
    return respond(json_response(200, {{"faults", std::move(a)}, {"proxy", proxy_.rules_json()}}));
  }
  if (p == "state" && get) return respond(json_response(200, relay_.state_json()));
  if (p == "state" && post) {
    const std::string err = relay_.set_state(body);
    return respond(err.empty() ? json_response(200, relay_.state_json()) : bad(err));
  }
  if (p == "bindings" && get)
    return respond(json_response(200, {{"bindings", oauth_.bindings_json()}}));
  if (p == "bindings" && post) {
    json::object out;
    const std::string err = oauth_.set_binding(body, now(), out);
    return respond(err.empty() ? json_response(200, out) : bad(err));
  }
  if (p == "oauth" && post) {
    if (const auto s = json_util::string_at(body, "subject"); !s.empty())
      oauth_.set_subject(std::string(s));
    if (const auto d = json_util::int_at(body, "deny_authorize"))
      oauth_.deny_authorize(static_cast<int>(*d));
    return respond(json_response(200, {{"ok", true}}));
  }
  if (p == "reply_token" && post) {
    const relay_ledger::inbound* in = relay_.find_inbound(json_util::string_at(body, "message_id"));
    if (!in) return respond(bad("unknown message_id"));
    json::object claims;
    if (const auto* c = json_util::object_at(body, "claims")) claims = *c;
    const bool unknown_kid = body.contains("unknown_kid") && body.at("unknown_kid") == true;
    const std::string token = relay_.mint_reply_token(*in, now(), claims, unknown_kid);
    return respond(json_response(200, {{"reply_token", token}}));
  }
  if (p == "rotate_keys" && post) {
    const bool keep_old = !(body.contains("keep_old") && body.at("keep_old") == false);
    const std::string alg(json_util::string_at(body, "alg"));
    if (!alg.empty() && alg != "RS256" && alg != "ES256")
      return respond(bad("alg: RS256 or ES256"));
    const std::string kid = keys_.rotate(keep_old, alg.empty() ? "RS256" : alg);
    json::array kids;
    for (const auto& k : keys_.published_kids()) kids.push_back(json::string(k));
    return respond(json_response(200, {{"kid", kid}, {"published", std::move(kids)}}));
  }
  if (p == "api_keys" && post) {
    const auto& k = relay_.add_api_key(json_util::string_at(body, "name").empty()
                                           ? std::string("agent")
                                           : std::string(json_util::string_at(body, "name")));
    return respond(json_response(200, {{"id", k.id}, {"key", k.key}, {"name", k.name}}));
  }
  if (p == "config" && get) return respond(json_response(200, config_json()));
  if (p == "config" && post) return respond(set_config(body));
  if (p == "reset" && post) {
    reset();
    return respond(json_response(200, {{"ok", true}}));
  }
  return respond(
      json_response(404, {{"error", "no such control endpoint: " + req.method + " " + req.path}}));
}

action fake_nyxid::inject(const json::object& body) {
  std::string error;
  json::object answer;
  auto d = build_callback(body, cb_, now(), error, answer);
  if (!d) return respond(bad(error));
  callback_record c;
  c.seq = next_ticket_++;
  c.time_ms = now();
  c.message_id = d->message_id;
  c.jti = d->jti;
  c.url = d->url;
  c.platform = d->platform;
  c.forge = d->forge;
  c.answer = answer;
  callbacks_.push_back(c);
  while (callbacks_.size() > 10'000) callbacks_.pop_front();
  sent_callbacks_[d->message_id] = *d;
  sent_order_.push_back(d->message_id);
  while (sent_order_.size() > 1'000) {
    sent_callbacks_.erase(sent_order_.front());
    sent_order_.pop_front();
  }
  action a;
  a.what = action::kind::deliver;
  a.ticket = c.seq;
  a.callback = std::move(*d);
  a.timeout_ms = callback_timeout_ms_;
  pending_[c.seq] = a.callback;
  return a;
}

action fake_nyxid::redeliver(const json::object& body) {
  std::string id(json_util::string_at(body, "message_id"));
  if (id.empty() && !sent_order_.empty()) id = sent_order_.back();
  auto it = sent_callbacks_.find(id);
  if (it == sent_callbacks_.end()) return respond(bad("unknown message_id"));
  callback_record c;
  c.seq = next_ticket_++;
  c.time_ms = now();
  c.message_id = it->second.message_id;
  c.jti = it->second.jti;
  c.url = it->second.url;
  c.platform = it->second.platform;
  c.forge = {"redelivery"};
  c.answer =
      json::object{{"message_id", c.message_id}, {"correlation_id", c.jti}, {"redelivery", true}};
  callbacks_.push_back(c);
  action a;
  a.what = action::kind::deliver;
  a.ticket = c.seq;
  a.callback = it->second;
  a.timeout_ms = callback_timeout_ms_;
  pending_[c.seq] = a.callback;
  return a;
}

kit::http_response fake_nyxid::arm_fault(const json::object& body) {
  const std::string kind(json_util::string_at(body, "kind"));
  if (std::find(fault_kinds.begin(), fault_kinds.end(), kind) == fault_kinds.end())
    return bad("kind must be status, delay, drop, platform_error or proxy");
  if (kind == "proxy") {
    std::string err;
    auto rule = parse_proxy_rule(body, err);
    if (!rule) return bad(err);
    proxy_.arm(*rule);
    return json_response(200, {{"armed", body}, {"proxy", proxy_.rules_json()}});
  }
  fault f;
  f.kind = kind;
  f.endpoint = json_util::string_at(body, "endpoint").empty()
                   ? std::string(kind == "platform_error" ? "reply" : "any")
                   : std::string(json_util::string_at(body, "endpoint"));
  if (std::find(fault_endpoints.begin(), fault_endpoints.end(), f.endpoint) ==
      fault_endpoints.end())
    return bad("unknown endpoint");
  if (kind == "platform_error" && f.endpoint != "reply" && f.endpoint != "reply_update")
    return bad("platform_error applies to reply or reply_update");
  if (auto c = json_util::int_at(body, "count")) f.count = *c == 0 ? 1 : static_cast<int>(*c);
  if (auto s = json_util::int_at(body, "status")) {
    if (*s < 100 || *s > 599) return bad("status must be 100..599");
    f.status = static_cast<unsigned>(*s);
  }
  if (auto ms = json_util::int_at(body, "ms")) f.ms = *ms;
  f.error = std::string(json_util::string_at(body, "error"));
  f.error_code = json_util::int_at(body, "error_code").value_or(0);
  f.message = std::string(json_util::string_at(body, "message"));
  f.lark_code = json_util::int_at(body, "lark_code").value_or(0);
  faults_.push_back(f);
  return json_response(200, {{"armed", body}});
}

json::object fake_nyxid::config_json() const {
  auto& r = const_cast<relay_ledger&>(relay_);
  auto& o = const_cast<oauth_broker&>(oauth_);
  return json::object{{"callback_url", cb_.callback_url},
                      {"callback_timeout_ms", callback_timeout_ms_},
                      {"callback_ttl_s", cb_.callback_ttl_s},
                      {"user_token_ttl_s", cb_.user_token_ttl_s},
                      {"legacy_signature", cb_.legacy_signature},
                      {"default_route_type", cb_.default_route_type},
                      {"reply_ttl_s", r.settings().reply_ttl_s},
                      {"leeway_s", r.settings().leeway_s},
                      {"omit_platform_message_id", r.settings().omit_platform_message_id},
                      {"edit_rate_per_second", r.limiter().per_second()},
                      {"edit_burst", r.limiter().burst()},
                      {"require_state", o.settings().require_state},
                      {"code_ttl_s", o.settings().code_ttl_s},
                      {"access_ttl_s", o.settings().access_ttl_s},
                      {"exchange_ttl_s", o.settings().exchange_ttl_s},
                      {"max_requests", log_.max_entries}};
}

kit::http_response fake_nyxid::set_config(const json::object& body) {
  // Validate everything first: all or nothing.
  for (const auto& [k, v] : body) {
    const bool is_bool =
        k == "legacy_signature" || k == "omit_platform_message_id" || k == "require_state";
    const bool is_string = k == "callback_url" || k == "default_route_type";
    if (is_bool && !v.is_bool()) return bad(std::string(k) + " must be a boolean");
    if (is_string && !v.is_string()) return bad(std::string(k) + " must be a string");
    if (!is_bool && !is_string) {
      if (!config_json().contains(k)) return bad("unknown knob: " + std::string(k));
      auto n = json_util::as_int(v);
      if (!n || *n < 0) return bad(std::string(k) + " must be a non-negative integer");
    }
  }
  auto num = [&](const char* k, auto& field) {
    if (const auto* v = body.if_contains(k)) field = *json_util::as_int(*v);
  };
  if (const auto* v = body.if_contains("callback_url"))
    cb_.callback_url = std::string(v->get_string());
  if (const auto* v = body.if_contains("default_route_type"))
    cb_.default_route_type = std::string(v->get_string());
  if (const auto* v = body.if_contains("legacy_signature")) cb_.legacy_signature = v->get_bool();
  if (const auto* v = body.if_contains("omit_platform_message_id"))
    relay_.settings().omit_platform_message_id = v->get_bool();
  if (const auto* v = body.if_contains("require_state"))
    oauth_.settings().require_state = v->get_bool();
  num("callback_timeout_ms", callback_timeout_ms_);
  num("callback_ttl_s", cb_.callback_ttl_s);
  num("user_token_ttl_s", cb_.user_token_ttl_s);
  num("reply_ttl_s", relay_.settings().reply_ttl_s);
  num("leeway_s", relay_.settings().leeway_s);
  num("code_ttl_s", oauth_.settings().code_ttl_s);
  num("access_ttl_s", oauth_.settings().access_ttl_s);
  num("exchange_ttl_s", oauth_.settings().exchange_ttl_s);
  num("max_requests", log_.max_entries);
  if (body.contains("edit_rate_per_second") || body.contains("edit_burst")) {
    std::int64_t rate = relay_.limiter().per_second(), burst = relay_.limiter().burst();
    num("edit_rate_per_second", rate);
    num("edit_burst", burst);
    relay_.limiter().configure(rate, burst);
  }
  return json_response(200, config_json());
}

void fake_nyxid::reset() {
  faults_.clear();
  proxy_.reset();
  log_.clear();
  relay_.reset();
  oauth_.reset();
  callbacks_.clear();
  sent_callbacks_.clear();
  sent_order_.clear();
  cb_.last_jti.clear();
}

}  // namespace patchbay::fakes::nyxid
