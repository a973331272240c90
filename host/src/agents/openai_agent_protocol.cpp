#include "agents/openai_agent_protocol.hpp"

#include <boost/json.hpp>

#include "patchbay/common/base64.hpp"

namespace patchbay::agents::openai {
namespace json = boost::json;

namespace {

std::optional<json::value> parse_json(std::string_view text) {
  json::error_code ec;
  json::parse_options opt;
  opt.max_depth = 32;
  json::value v = json::parse(text, ec, {}, opt);
  if (ec) return std::nullopt;
  return v;
}

std::string str_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  return {};
}

const json::object* first_choice(const json::object& o) {
  const json::value* c = o.if_contains("choices");
  if (c == nullptr || !c->is_array() || c->get_array().empty()) return nullptr;
  const json::value& first = c->get_array().front();
  return first.is_object() ? &first.get_object() : nullptr;
}

std::optional<api_error> error_of(const json::object& o) {
  const json::value* e = o.if_contains("error");
  if (e == nullptr || e->is_null()) return std::nullopt;
  api_error out;
  if (e->is_string()) {
    out.message = std::string(e->get_string());
  } else if (e->is_object()) {
    out.message = str_member(e->get_object(), "message");
    out.type = str_member(e->get_object(), "type");
    out.code = str_member(e->get_object(), "code");
  } else {
    return std::nullopt;
  }
  return out;
}

bool is_quota(const api_error& e) {
  return e.code == "insufficient_quota" || e.type == "insufficient_quota";
}

bool is_rate_limit(const api_error& e) {
  return e.code == "rate_limit_exceeded" || e.type == "rate_limit_exceeded" ||
         e.type == "requests" || e.type == "tokens";
}

constexpr const char* text_rate_limited =
    "The model is rate-limited or over its usage limit; please try again later.";
constexpr const char* text_quota =
    "The model's usage quota is used up; the operator has been notified.";
constexpr const char* text_credentials =
    "The gateway's model credentials were rejected; the operator has been notified.";

}  // namespace

options parse_options(std::string_view options_json, std::string& error) {
  options o;
  option_reader r(options_json, "openai agent");
  r.url("base_url", o.base_url, true);
  r.text("model", o.model, true);
  r.text("system_prompt", o.system_prompt);
  r.text("api_key", o.api_key);
  std::string auth;
  r.text("auth", auth);
  r.file("ca_file", o.ca_file);
  r.number("temperature", o.temperature, 0.0, 2.0);
  r.integer("max_tokens", o.max_tokens, 1, 1'000'000);
  r.integer("history_turns", o.history_turns, 0, 1000);
  r.integer("history_bytes", o.history_bytes, 0, 16 << 20);
  r.integer("max_in_flight", o.max_in_flight, 1, 10'000);
  r.flag("images", o.images);
  r.integer("max_image_bytes", o.max_image_bytes, 1, 100 << 20);
  read_deadlines(r, o.deadlines);
  error = r.finish();
  if (auth == "user_identity")
    o.user_identity = true;
  else if (!auth.empty() && auth != "api_key")
    error += std::string(error.empty() ? "" : "; ") +
             "openai agent: option 'auth' must be api_key or user_identity";
  while (!o.base_url.empty() && o.base_url.back() == '/') o.base_url.pop_back();
  return o;
}

history parse_history(std::string_view stored) {
  history h;
  auto v = parse_json(stored);
  if (!v || !v->is_array()) return h;
  for (const auto& item : v->get_array()) {
    if (!item.is_object()) continue;
    h.push_back(
        {str_member(item.get_object(), "user"), str_member(item.get_object(), "assistant")});
  }
  return h;
}

std::string serialize_history(const history& h) {
  json::array a;
  for (const auto& e : h) a.push_back(json::object{{"user", e.user}, {"assistant", e.assistant}});
  return json::serialize(a);
}

void trim_history(history& h, std::size_t max_turns, std::size_t max_bytes) {
  std::size_t bytes = 0;
  for (const auto& e : h) bytes += e.user.size() + e.assistant.size();
  std::size_t drop = 0;
  while (drop < h.size() && (h.size() - drop > max_turns || bytes > max_bytes)) {
    bytes -= h[drop].user.size() + h[drop].assistant.size();
    ++drop;
  }
  h.erase(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(drop));
}

std::string request_body(const options& o, const history& h, std::string_view user_text,
                         bool stream, const std::vector<image>& images) {
  json::array messages;
  if (!o.system_prompt.empty())
    messages.push_back(json::object{{"role", "system"}, {"content", o.system_prompt}});
  for (const auto& e : h) {
    messages.push_back(json::object{{"role", "user"}, {"content", e.user}});
    messages.push_back(json::object{{"role", "assistant"}, {"content", e.assistant}});
  }
  if (images.empty()) {
    messages.push_back(json::object{{"role", "user"}, {"content", user_text}});
  } else {
    json::array parts;
    parts.push_back(json::object{{"type", "text"}, {"text", user_text}});
    for (const auto& i : images) {
      std::string url = "data:" + i.mime_type + ";base64," + common::base64_encode(i.bytes);
      parts.push_back(json::object{{"type", "image_url"},
                                   {"image_url", json::object{{"url", std::move(url)}}}});
    }
    messages.push_back(json::object{{"role", "user"}, {"content", std::move(parts)}});
  }
  json::object body{{"model", o.model}, {"messages", std::move(messages)}, {"stream", stream}};
  if (o.temperature) body["temperature"] = *o.temperature;
  if (o.max_tokens > 0) body["max_tokens"] = o.max_tokens;
  return json::serialize(body);
}

std::optional<api_error> parse_error(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return std::nullopt;
  return error_of(v->get_object());
}

chunk parse_chunk(std::string_view data) {
  chunk c;
  std::string_view t = data;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\r' || t.front() == '\n'))
    t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\r' || t.back() == '\n'))
    t.remove_suffix(1);
  if (t == "[DONE]") {
    c.done_marker = true;
    return c;
  }
  auto v = parse_json(t);
  if (!v || !v->is_object()) {
    c.unreadable = true;
    return c;
  }
  const json::object& o = v->get_object();
  c.error = error_of(o);
  if (c.error) return c;
  if (const json::object* choice = first_choice(o)) {
    if (const json::value* d = choice->if_contains("delta"); d && d->is_object())
      c.delta = str_member(d->get_object(), "content");
    c.finish_reason = str_member(*choice, "finish_reason");
  }
  return c;
}

std::optional<std::string> parse_completion(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return std::nullopt;
  const json::object* choice = first_choice(v->get_object());
  if (choice == nullptr) return std::nullopt;
  const json::value* m = choice->if_contains("message");
  if (m == nullptr || !m->is_object()) return std::nullopt;
  return str_member(m->get_object(), "content");
}

std::string text_for_status(unsigned status, const std::optional<api_error>& e) {
  if (status == 429) return e && is_quota(*e) ? text_quota : text_rate_limited;
  if (status == 401 || status == 403) return text_credentials;
  if (status >= 500)
    return "The model service failed (HTTP " + std::to_string(status) +
           "); please try again later.";
  return "The model service refused the request (HTTP " + std::to_string(status) +
         "); the operator has been notified.";
}

std::string text_for_transport(transport_failure f) {
  switch (f) {
    case transport_failure::connect_timeout:
    case transport_failure::first_byte_timeout:
    case transport_failure::idle_timeout:
    case transport_failure::total_timeout:
      return "The model did not answer in time; please try again later.";
    case transport_failure::refused:
    case transport_failure::unreachable:
      return "The model service is unreachable; the operator has been notified.";
    case transport_failure::tls:
      return "The model service's TLS connection failed; the operator has been notified.";
    case transport_failure::closed_early:
      return text_cut_off;
    case transport_failure::none:
    case transport_failure::aborted:
    case transport_failure::other:
      break;
  }
  return "The request to the model failed; please try again later.";
}

std::string text_for_stream_error(const api_error& e) {
  if (is_quota(e)) return text_quota;
  if (is_rate_limit(e)) return text_rate_limited;
  if (e.code == "invalid_api_key" || e.type == "authentication_error") return text_credentials;
  return "The model service reported an error while answering; please try again later.";
}

std::string user_text_of(std::string_view request_json) {
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(request_json, ec);
  if (ec || !v.is_object()) return {};
  const auto& o = v.as_object();
  std::string text;
  if (const auto* t = o.if_contains("text"); t && t->is_string()) text = t->get_string();
  const auto* atts = o.if_contains("attachments");
  if (atts == nullptr || !atts->is_array()) return text;
  auto field = [](const boost::json::object& a, const char* key) {
    const auto* f = a.if_contains(key);
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  for (const auto& item : atts->as_array()) {
    if (!item.is_object()) continue;
    const auto& a = item.as_object();
    std::string line = "[attachment: " + field(a, "kind");
    if (std::string name = field(a, "name"); !name.empty()) line += " \"" + name + "\"";
    if (std::string mime = field(a, "mime_type"); !mime.empty()) line += ", " + mime;
    if (const auto* n = a.if_contains("size"); n && n->is_number() && n->to_number<double>() > 0)
      line += ", " + std::to_string(n->to_number<uint64_t>()) + " bytes";
    line += "]";
    text += (text.empty() ? "" : "\n") + line;
  }
  return text;
}

std::vector<image_ref> image_refs_of(std::string_view request_json) {
  std::vector<image_ref> out;
  auto v = parse_json(request_json);
  if (!v || !v->is_object()) return out;
  const auto* atts = v->get_object().if_contains("attachments");
  if (atts == nullptr || !atts->is_array()) return out;
  for (const auto& item : atts->get_array()) {
    if (!item.is_object()) continue;
    const auto& a = item.get_object();
    image_ref r{str_member(a, "media_id"), str_member(a, "name"), str_member(a, "mime_type")};
    const bool image = str_member(a, "kind") == "image" || r.mime_type.rfind("image/", 0) == 0;
    if (image && !r.media_id.empty()) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace patchbay::agents::openai
