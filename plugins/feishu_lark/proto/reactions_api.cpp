#include "feishu_lark/proto/reactions_api.hpp"

#include <boost/json.hpp>

#include "patchbay/common/json_util.hpp"
#include "patchbay/common/url_encode.hpp"

namespace patchbay::plugins::feishu_family {
namespace json_util = patchbay::common::json_util;
namespace json = boost::json;

namespace {
std::string reactions_path(std::string_view message_id) {
  return std::string(api_path::messages) + "/" + common::url_encode(message_id) + "/reactions";
}
}  // namespace

api_request add_reaction_request(std::string_view message_id, std::string_view emoji_type) {
  api_request r;
  r.method = "POST";
  r.target = reactions_path(message_id);
  r.body =
      json::serialize(json::object{{"reaction_type", json::object{{"emoji_type", emoji_type}}}});
  return r;
}

api_request delete_reaction_request(std::string_view message_id, std::string_view reaction_id) {
  api_request r;
  r.method = "DELETE";
  r.target = reactions_path(message_id) + "/" + common::url_encode(reaction_id);
  return r;
}

reaction_result parse_reaction_response(bool add, int http_status, std::string_view body,
                                        std::string_view ratelimit_reset) {
  reaction_result r;
  api_answer a = parse_api_answer(api_op::other, http_status, body, ratelimit_reset);
  r.error = std::move(a.error);
  if (!r.error.ok() || !add) return r;
  const auto data = json_util::parse(a.data_json.empty() ? std::string_view("{}") : a.data_json);
  if (const json::object* o = data ? data->if_object() : nullptr)
    r.reaction_id = std::string(json_util::string_at(*o, "reaction_id"));
  if (r.reaction_id.empty())
    r.error = unreadable_answer(api_op::other, http_status, "no data.reaction_id");
  return r;
}

}  // namespace patchbay::plugins::feishu_family
