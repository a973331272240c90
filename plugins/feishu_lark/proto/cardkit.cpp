#include "feishu_lark/proto/cardkit.hpp"

#include <boost/json.hpp>

#include "patchbay/common/json_util.hpp"
#include "patchbay/common/url_encode.hpp"

namespace patchbay::plugins::feishu_family {
namespace json_util = patchbay::common::json_util;
namespace json = boost::json;

namespace {

std::string card_path(std::string_view card_id) {
  return std::string(card_api::cards) + "/" + common::url_encode(card_id);
}

json::object update_body(int64_t sequence, std::string_view uuid) {
  json::object o{{"sequence", sequence}};
  if (!uuid.empty()) o["uuid"] = uuid;
  return o;
}

}  // namespace

std::string streaming_card_json(std::string_view text, std::string_view element_id) {
  json::object config{{"streaming_mode", true},
                      {"update_multi", true},
                      {"summary", json::object{{"content", card_summary(text)}}}};
  json::object element{{"tag", "markdown"}, {"element_id", element_id}, {"content", text}};
  json::object card{{"schema", "2.0"},
                    {"config", std::move(config)},
                    {"body", json::object{{"elements", json::array{std::move(element)}}}}};
  return json::serialize(card);
}

api_request create_card_request(std::string_view card_json) {
  return {"POST", std::string(card_api::cards),
          json::serialize(json::object{{"type", "card_json"}, {"data", card_json}})};
}

outgoing card_entity_message(std::string_view card_id) {
  json::object content{{"type", "card"}, {"data", json::object{{"card_id", card_id}}}};
  return {std::string(msg_type::interactive), json::serialize(content)};
}

api_request card_content_request(std::string_view card_id, std::string_view element_id,
                                 std::string_view text, int64_t sequence, std::string_view uuid) {
  json::object body = update_body(sequence, uuid);
  body["content"] = text;
  return {"PUT", card_path(card_id) + "/elements/" + common::url_encode(element_id) + "/content",
          json::serialize(body)};
}

api_request close_card_request(std::string_view card_id, std::string_view summary, int64_t sequence,
                               std::string_view uuid) {
  json::object settings{{"config", json::object{{"streaming_mode", false},
                                                {"summary", json::object{{"content", summary}}}}}};
  json::object body = update_body(sequence, uuid);
  body["settings"] = json::serialize(settings);
  return {"PATCH", card_path(card_id) + "/settings", json::serialize(body)};
}

std::string card_summary(std::string_view text) {
  std::string out;
  std::size_t points = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool lead = (c & 0xC0) != 0x80;
    if (lead && points == card_api::summary_codepoints) return out + "\xE2\x80\xA6";  // "…"
    if (lead) ++points;
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : static_cast<char>(c));
  }
  return out;
}

card_create_result parse_card_create_response(int http_status, std::string_view body,
                                              std::string_view ratelimit_reset) {
  card_create_result r;
  api_answer a = parse_api_answer(api_op::card, http_status, body, ratelimit_reset);
  r.error = std::move(a.error);
  if (!r.error.ok()) return r;
  const auto data = json_util::parse(a.data_json.empty() ? std::string_view("{}") : a.data_json);
  const json::object* o = data ? data->if_object() : nullptr;
  if (o) r.card_id = std::string(json_util::string_at(*o, "card_id"));
  if (r.card_id.empty()) r.error = unreadable_answer(api_op::card, http_status, "no data.card_id");
  return r;
}

api_error parse_card_update_response(int http_status, std::string_view body,
                                     std::string_view ratelimit_reset) {
  return parse_api_answer(api_op::card, http_status, body, ratelimit_reset).error;
}

}  // namespace patchbay::plugins::feishu_family
