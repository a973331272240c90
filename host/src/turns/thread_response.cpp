#include "turns/thread_response.hpp"

#include <boost/json.hpp>

namespace patchbay::turns {
namespace json = boost::json;

namespace {

// Reads an optional string member; false (with `err`) when present with another type.
bool opt_string(const json::object& o, const char* key, std::optional<std::string>& out,
                std::string& err) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_string()) {
    err = std::string("`") + key + "` must be a string";
    return false;
  }
  out = std::string(v->get_string());
  return true;
}

bool opt_bool(const json::object& o, const char* key, bool& out, std::string& err) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_bool()) {
    err = std::string("`") + key + "` must be a boolean";
    return false;
  }
  out = v->get_bool();
  return true;
}

}  // namespace

parse_result parse_thread_response(std::string_view text) {
  parse_result r;
  if (text.size() > max_payload_bytes) {
    r.error = "payload of " + std::to_string(text.size()) + " bytes exceeds the 1 MiB limit";
    return r;
  }
  json::error_code ec;
  json::parse_options opt;
  opt.max_depth = 16;
  json::value v = json::parse(text, ec, {}, opt);
  if (ec) {
    r.error = "malformed JSON: " + ec.message();
    return r;
  }
  if (!v.is_object()) {
    r.error = "payload must be a JSON object";
    return r;
  }
  const json::object& o = v.get_object();
  thread_response t;
  std::optional<std::string> turn, message;
  if (!opt_string(o, "turn", turn, r.error) || !opt_string(o, "delta", t.delta, r.error) ||
      !opt_string(o, "content", t.content, r.error) || !opt_string(o, "error", t.error, r.error) ||
      !opt_bool(o, "ephemeral", t.ephemeral, r.error) || !opt_bool(o, "done", t.done, r.error) ||
      !opt_string(o, "message", message, r.error))
    return r;
  if (!turn || turn->empty()) {
    r.error = "`turn` is required";
    return r;
  }
  if (t.error && t.done) {
    r.error = "`error` and `done` exclude each other";
    return r;
  }
  if (!t.delta && !t.content && !t.error && !t.done) {
    r.error = "payload carries none of delta, content, error, done";
    return r;
  }
  if (t.ephemeral && !t.content) {
    r.error = "`ephemeral` goes with `content`";
    return r;
  }
  t.turn = std::move(*turn);
  if (message) t.message = std::move(*message);
  r.value = std::move(t);
  return r;
}

std::string to_json(const thread_response& r) {
  json::object o;
  o["turn"] = r.turn;
  if (r.delta) o["delta"] = *r.delta;
  if (r.content) {
    o["content"] = *r.content;
    if (r.ephemeral) o["ephemeral"] = true;
  }
  if (r.error) o["error"] = *r.error;
  if (r.done) o["done"] = true;
  if (!r.message.empty()) o["message"] = r.message;
  return json::serialize(o);
}

}  // namespace patchbay::turns
