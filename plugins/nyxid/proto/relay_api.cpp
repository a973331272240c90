#include "nyxid/proto/relay_api.hpp"

#include <boost/json/serialize.hpp>

#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::nyxid {
namespace json = boost::json;
namespace json_util = patchbay::common::json_util;
namespace {

std::optional<std::string> body(std::string_view id, std::string_view text,
                                std::string_view metadata_json) {
  json::object reply;
  reply["text"] = text;
  if (metadata_json.empty()) {
    reply["metadata"] = nullptr;
  } else {
    auto meta = json_util::parse(metadata_json);
    if (!meta || !meta->is_object()) return std::nullopt;
    reply["metadata"] = std::move(*meta);
  }
  json::object o;
  o["message_id"] = id;
  o["reply"] = std::move(reply);
  return json::serialize(o);
}

std::optional<json::object> object_of(std::string_view text) {
  auto v = json_util::parse(text);
  if (!v || !v->is_object()) return std::nullopt;
  return std::move(v->get_object());
}

}  // namespace

std::optional<std::string> reply_request_body(std::string_view inbound_message_id,
                                              std::string_view text,
                                              std::string_view metadata_json) {
  return body(inbound_message_id, text, metadata_json);
}

std::optional<std::string> update_request_body(std::string_view platform_message_id,
                                               std::string_view text,
                                               std::string_view metadata_json) {
  return body(platform_message_id, text, metadata_json);
}

std::optional<reply_response> parse_reply_response(std::string_view text) {
  auto o = object_of(text);
  if (!o) return std::nullopt;
  reply_response r;
  r.message_id = std::string(json_util::string_at(*o, "message_id"));
  r.platform_message_id = std::string(json_util::string_at(*o, "platform_message_id"));
  if (r.message_id.empty()) return std::nullopt;
  return r;
}

std::optional<update_response> parse_update_response(std::string_view text) {
  auto o = object_of(text);
  if (!o) return std::nullopt;
  update_response r;
  r.upstream_message_id = std::string(json_util::string_at(*o, "upstream_message_id"));
  r.edited_at = std::string(json_util::string_at(*o, "edited_at"));
  if (r.upstream_message_id.empty()) return std::nullopt;
  return r;
}

std::optional<error_envelope> parse_error_envelope(std::string_view text) {
  auto o = object_of(text);
  if (!o) return std::nullopt;
  const json::value* e = o->if_contains("error");
  if (!e || !e->is_string()) return std::nullopt;
  error_envelope env;
  env.error = std::string(e->get_string());
  env.error_code = json_util::int_at(*o, "error_code").value_or(0);
  env.message = std::string(json_util::string_at(*o, "message"));
  return env;
}

}  // namespace patchbay::plugins::nyxid
