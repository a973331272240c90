#include "completions.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace fake_openai {
namespace json = boost::json;

namespace {

// A message's text: a string, or the "text" parts of a content array.
std::string content_text(const json::value& c) {
  if (c.is_string()) return std::string(c.get_string());
  std::string out;
  if (c.is_array())
    for (const auto& part : c.get_array())
      if (part.is_object())
        if (auto* t = part.get_object().if_contains("text"); t && t->is_string())
          out += std::string(t->get_string());
  return out;
}

json::object chunk_object(const chunk_ids& ids, json::object delta, json::value finish) {
  return json::object{{"id", ids.id},
                      {"object", "chat.completion.chunk"},
                      {"created", ids.created},
                      {"model", ids.model},
                      {"system_fingerprint", "fp_patchbay_fake"},
                      {"choices", json::array{json::object{{"index", 0},
                                                           {"delta", std::move(delta)},
                                                           {"logprobs", nullptr},
                                                           {"finish_reason", std::move(finish)}}}}};
}

std::string event(const json::value& v) { return "data: " + json::serialize(v) + "\n\n"; }

json::value null_if_empty(std::string_view s) {
  if (s.empty()) return nullptr;
  return json::string(s);
}

}  // namespace

chat_request parse_chat_request(std::string_view body) {
  chat_request r;
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    r.error = "We could not parse the JSON body of your request.";
    return r;
  }
  const json::object& o = v.get_object();
  if (auto* m = o.if_contains("model"); m && m->is_string())
    r.model = std::string(m->get_string());
  else {
    r.error = "you must provide a model parameter";
    r.error_param = "model";
    return r;
  }
  if (auto* s = o.if_contains("stream"); s && s->is_bool()) r.stream = s->get_bool();
  const json::value* msgs = o.if_contains("messages");
  if (msgs == nullptr || !msgs->is_array() || msgs->get_array().empty()) {
    r.error = "'messages' must be a non-empty array";
    r.error_param = "messages";
    return r;
  }
  for (const auto& m : msgs->get_array()) {
    if (!m.is_object() || !m.get_object().if_contains("role")) {
      r.error = "each message needs a 'role'";
      r.error_param = "messages";
      return r;
    }
    ++r.message_count;
    const json::object& mo = m.get_object();
    const json::value& role = mo.at("role");
    if (role.is_string() && role.get_string() == "user")
      if (auto* c = mo.if_contains("content")) r.last_user_text = content_text(*c);
  }
  return r;
}

std::string reply_text(const chat_request& r) { return "echo: " + r.last_user_text; }

std::vector<std::string> split_pieces(std::string_view text, int pieces) {
  std::vector<std::string> out;
  const std::size_t n = pieces < 1 ? 1 : static_cast<std::size_t>(pieces);
  std::size_t start = 0;
  for (std::size_t i = 1; i <= n && start < text.size(); ++i) {
    std::size_t end = i == n ? text.size() : text.size() * i / n;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

std::string role_event(const chunk_ids& ids) {
  return event(chunk_object(
      ids, json::object{{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}}, nullptr));
}

std::string content_event(const chunk_ids& ids, std::string_view text) {
  return event(chunk_object(ids, json::object{{"content", text}}, nullptr));
}

std::string finish_event(const chunk_ids& ids, std::string_view reason) {
  return event(chunk_object(ids, json::object{}, json::string(reason)));
}

std::string done_event() { return "data: [DONE]\n\n"; }

std::string error_event(std::string_view message, std::string_view type, std::string_view code) {
  return event(json::object{{"error", json::object{{"message", message},
                                                   {"type", type},
                                                   {"param", nullptr},
                                                   {"code", null_if_empty(code)}}}});
}

std::string completion_body(const chunk_ids& ids, std::string_view text, std::size_t prompt_words) {
  const std::size_t words = 1 + static_cast<std::size_t>(std::count(text.begin(), text.end(), ' '));
  json::object o{
      {"id", ids.id},
      {"object", "chat.completion"},
      {"created", ids.created},
      {"model", ids.model},
      {"system_fingerprint", "fp_patchbay_fake"},
      {"choices", json::array{json::object{{"index", 0},
                                           {"message", json::object{{"role", "assistant"},
                                                                    {"content", text},
                                                                    {"refusal", nullptr}}},
                                           {"logprobs", nullptr},
                                           {"finish_reason", "stop"}}}},
      {"usage", json::object{{"prompt_tokens", prompt_words},
                             {"completion_tokens", words},
                             {"total_tokens", prompt_words + words}}}};
  return json::serialize(o);
}

std::string error_body(std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code) {
  return json::serialize(json::object{{"error", json::object{{"message", message},
                                                             {"type", type},
                                                             {"param", null_if_empty(param)},
                                                             {"code", null_if_empty(code)}}}});
}

}  // namespace fake_openai
