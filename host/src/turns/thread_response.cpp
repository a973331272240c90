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

constexpr const char* attachment_kinds[] = {"image", "file", "audio", "video"};

}  // namespace

bool parse_attachment_spec(const json::value& v, attachment_spec& out, std::string& error,
                           const std::string& where) {
  if (!v.is_object()) {
    error = where + " must be an object";
    return false;
  }
  attachment_spec a;
  for (const auto& [k, val] : v.get_object()) {
    std::string* field = k == "kind"          ? &a.kind
                         : k == "name"        ? &a.name
                         : k == "mime_type"   ? &a.mime_type
                         : k == "url"         ? &a.url
                         : k == "path"        ? &a.path
                         : k == "data_base64" ? &a.data_base64
                         : k == "caption"     ? &a.caption
                                              : nullptr;
    if (field == nullptr) continue;  // unknown keys are ignored, as in the payload itself
    if (val.is_null()) continue;
    if (!val.is_string()) {
      error = where + "." + std::string(k) + " must be a string";
      return false;
    }
    *field = std::string(val.get_string());
  }
  if (a.kind.empty()) a.kind = "file";
  bool known = false;
  for (const char* k : attachment_kinds) known = known || a.kind == k;
  if (!known) {
    error = where + ".kind must be one of image, file, audio, video";
    return false;
  }
  int sources = int{!a.url.empty()} + int{!a.path.empty()} + int{!a.data_base64.empty()};
  if (sources != 1) {
    error = where + " needs exactly one of url, path, data_base64";
    return false;
  }
  out = std::move(a);
  return true;
}

json::object attachment_to_json(const attachment_spec& a) {
  json::object o;
  o["kind"] = a.kind;
  if (!a.name.empty()) o["name"] = a.name;
  if (!a.mime_type.empty()) o["mime_type"] = a.mime_type;
  if (!a.url.empty()) o["url"] = a.url;
  if (!a.path.empty()) o["path"] = a.path;
  if (!a.data_base64.empty()) o["data_base64"] = a.data_base64;
  if (!a.caption.empty()) o["caption"] = a.caption;
  return o;
}

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
  if (const json::value* a = o.if_contains("attachment"); a != nullptr && !a->is_null()) {
    attachment_spec spec;
    if (!parse_attachment_spec(*a, spec, r.error, "`attachment`")) return r;
    t.attachment = std::move(spec);
  }
  if (!turn || turn->empty()) {
    r.error = "`turn` is required";
    return r;
  }
  if (t.error && t.done) {
    r.error = "`error` and `done` exclude each other";
    return r;
  }
  if (!t.delta && !t.content && !t.error && !t.done && !t.attachment) {
    r.error = "payload carries none of delta, content, attachment, error, done";
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
  if (r.attachment) o["attachment"] = attachment_to_json(*r.attachment);
  if (r.error) o["error"] = *r.error;
  if (r.done) o["done"] = true;
  if (!r.message.empty()) o["message"] = r.message;
  return json::serialize(o);
}

}  // namespace patchbay::turns
