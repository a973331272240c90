#include "feishu_lark/proto/messages_api.hpp"

#include <boost/json.hpp>

#include "feishu_lark/proto/crypto.hpp"
#include "patchbay/common/digest.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::feishu_family {
namespace json_util = patchbay::common::json_util;
namespace json = boost::json;

namespace {

// Path segment escaping: ids are [A-Za-z0-9_-], anything else is percent-encoded so a hostile id
// can never change the path or add a query.
std::string path_segment(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

std::string message_path(std::string_view message_id) {
  return std::string(api_path::messages) + "/" + path_segment(message_id);
}

}  // namespace

outgoing text_message(std::string_view text) {
  return {std::string(msg_type::text), json::serialize(json::object{{"text", text}})};
}

outgoing post_message(std::string_view markdown, std::string_view title, std::string_view locale) {
  json::array paragraph{json::object{{"tag", "md"}, {"text", markdown}}};
  json::object body{{"title", title}, {"content", json::array{std::move(paragraph)}}};
  json::object content;
  content[locale] = std::move(body);
  return {std::string(msg_type::post), json::serialize(content)};
}

outgoing card_message(std::string_view markdown) {
  json::object card{
      {"schema", "2.0"},
      {"config", json::object{{"update_multi", true}}},
      {"body", json::object{{"elements", json::array{json::object{{"tag", "markdown"},
                                                                  {"content", markdown}}}}}}};
  return {std::string(msg_type::interactive), json::serialize(card)};
}

const char* to_string(receive_id_type t) {
  switch (t) {
    case receive_id_type::chat_id:
      return "chat_id";
    case receive_id_type::open_id:
      return "open_id";
    case receive_id_type::union_id:
      return "union_id";
    case receive_id_type::user_id:
      return "user_id";
    case receive_id_type::email:
      return "email";
  }
  return "chat_id";
}

receive_id_type detect_receive_id_type(std::string_view id) {
  if (id.rfind("oc_", 0) == 0) return receive_id_type::chat_id;
  if (id.rfind("ou_", 0) == 0) return receive_id_type::open_id;
  if (id.rfind("on_", 0) == 0) return receive_id_type::union_id;
  if (id.find('@') != std::string_view::npos) return receive_id_type::email;
  return receive_id_type::user_id;
}

api_request send_message_request(std::string_view receive_id, receive_id_type type,
                                 const outgoing& m, std::string_view uuid) {
  json::object body{{"receive_id", receive_id}, {"msg_type", m.msg_type}, {"content", m.content}};
  if (!uuid.empty()) body["uuid"] = uuid;
  return {"POST", std::string(api_path::messages) + "?receive_id_type=" + to_string(type),
          json::serialize(body), true, !uuid.empty()};
}

api_request reply_message_request(std::string_view message_id, const outgoing& m,
                                  bool reply_in_thread, std::string_view uuid) {
  json::object body{{"content", m.content}, {"msg_type", m.msg_type}};
  if (reply_in_thread) body["reply_in_thread"] = true;
  if (!uuid.empty()) body["uuid"] = uuid;
  return {"POST", message_path(message_id) + "/reply", json::serialize(body), true, !uuid.empty()};
}

std::optional<api_request> edit_message_request(std::string_view message_id, const outgoing& m) {
  if (m.msg_type != msg_type::text && m.msg_type != msg_type::post) return std::nullopt;
  return api_request{
      "PUT", message_path(message_id),
      json::serialize(json::object{{"msg_type", m.msg_type}, {"content", m.content}}), true};
}

api_request patch_card_request(std::string_view message_id, std::string_view card_json) {
  return {"PATCH", message_path(message_id), json::serialize(json::object{{"content", card_json}}),
          true};
}

size_t max_body_bytes(std::string_view type) {
  // "150 KB" / "30 KB" in the docs; counted in thousands to stay on the safe side.
  return type == msg_type::text ? 150'000 : 30'000;
}

api_error check_body_size(api_op op, const api_request& r, std::string_view type) {
  api_error e;
  if (r.body.size() <= max_body_bytes(type)) return e;
  e.code = PB_ERR_INVALID_INPUT;
  e.kind = error_kind::message_too_long;
  e.message = std::string(to_string(op)) + " refused locally: " + std::to_string(r.body.size()) +
              "-byte request body over the " + std::to_string(max_body_bytes(type)) +
              "-byte limit for " + std::string(type) + " messages";
  return e;
}

std::string derive_uuid(std::string_view seed) {
  return patchbay::common::sha256_hex(seed).substr(0, 32);
}

message_result parse_message_response(api_op op, int http_status, std::string_view body,
                                      std::string_view ratelimit_reset) {
  message_result r;
  api_answer a = parse_api_answer(op, http_status, body, ratelimit_reset);
  r.error = std::move(a.error);
  if (!r.error.ok()) return r;
  const auto data = json_util::parse(a.data_json.empty() ? std::string_view("{}") : a.data_json);
  const json::object* o = data ? data->if_object() : nullptr;
  if (o) {
    r.message_id = std::string(json_util::string_at(*o, "message_id"));
    r.chat_id = std::string(json_util::string_at(*o, "chat_id"));
  }
  if (r.message_id.empty() && op != api_op::patch_card)
    r.error = unreadable_answer(op, http_status, "no data.message_id");
  return r;
}

}  // namespace patchbay::plugins::feishu_family
