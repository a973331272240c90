#include "feishu_lark/proto/open_api.hpp"

#include <boost/json.hpp>

#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::feishu_family {
namespace json_util = patchbay::common::json_util;
namespace json = boost::json;

namespace {

// Parses the envelope; on success returns the object and leaves `e` ok. On failure fills `e`.
const json::object* envelope(api_op op, int http_status, std::string_view body,
                             std::string_view ratelimit_reset, std::optional<json::value>& holder,
                             api_error& e) {
  std::string why;
  holder = json_util::parse(body, &why);
  const json::object* o = holder ? holder->if_object() : nullptr;
  if (!o) {
    e = unreadable_answer(op, http_status, holder ? "not a JSON object" : why, ratelimit_reset);
    return nullptr;
  }
  const auto code = json_util::int_at(*o, "code");
  std::string_view log_id;
  if (const json::object* err = json_util::object_at(*o, "error"))
    log_id = json_util::string_at(*err, "log_id");
  if (!code && http_status >= 200 && http_status <= 299) {
    e = unreadable_answer(op, http_status, "no code", ratelimit_reset);
    return nullptr;
  }
  e = classify_api_error(op, http_status, code.value_or(0), json_util::string_at(*o, "msg"),
                         ratelimit_reset, log_id);
  return e.ok() ? o : nullptr;
}

}  // namespace

api_request tenant_token_request(std::string_view app_id, std::string_view app_secret) {
  return {"POST", std::string(api_path::tenant_token),
          json::serialize(json::object{{"app_id", app_id}, {"app_secret", app_secret}}), false};
}

token_result parse_tenant_token_response(int http_status, std::string_view body) {
  token_result r;
  std::optional<json::value> holder;
  const json::object* o = envelope(api_op::token, http_status, body, {}, holder, r.error);
  if (!o) return r;
  const std::string_view token = json_util::string_at(*o, "tenant_access_token");
  const auto expire = json_util::int_at(*o, "expire");
  if (token.empty() || !expire || *expire <= 0) {
    r.error = unreadable_answer(api_op::token, http_status, "no tenant_access_token or expire");
    return r;
  }
  r.token = std::string(token);
  r.expire_s = *expire;
  return r;
}

api_request bot_info_request() { return {"GET", std::string(api_path::bot_info), {}, true}; }

bot_info_result parse_bot_info_response(int http_status, std::string_view body) {
  bot_info_result r;
  std::optional<json::value> holder;
  const json::object* o = envelope(api_op::bot_info, http_status, body, {}, holder, r.error);
  if (!o) return r;
  const json::object* bot = json_util::object_at(*o, "bot");
  if (!bot || json_util::string_at(*bot, "open_id").empty()) {
    r.error = unreadable_answer(api_op::bot_info, http_status, "no bot.open_id");
    return r;
  }
  r.bot.open_id = std::string(json_util::string_at(*bot, "open_id"));
  r.bot.app_name = std::string(json_util::string_at(*bot, "app_name"));
  r.bot.activate_status = json_util::int_at(*bot, "activate_status").value_or(-1);
  return r;
}

std::optional<std::string> bot_inactive_reason(int64_t s) {
  switch (s) {
    case -1:
    case 2:
      return std::nullopt;
    case 0:
      return "the app is initialising or awaiting installation (activate_status 0)";
    case 1:
      return "the app is disabled by the tenant (activate_status 1)";
    case 3:
      return "the app is installed but awaiting enablement (activate_status 3)";
    case 4:
      return "the app upgrade awaits enablement (activate_status 4)";
    case 5:
      return "the app licence expired (activate_status 5)";
    case 6:
      return "the tenant's plan expired or was downgraded (activate_status 6)";
    default:
      return "the app is not active (activate_status " + std::to_string(s) + ")";
  }
}

api_answer parse_api_answer(api_op op, int http_status, std::string_view body,
                            std::string_view ratelimit_reset) {
  api_answer a;
  std::optional<json::value> holder;
  const json::object* o = envelope(op, http_status, body, ratelimit_reset, holder, a.error);
  if (!o) return a;
  if (const json::value* d = o->if_contains("data"); d && d->is_object())
    a.data_json = json::serialize(*d);
  return a;
}

}  // namespace patchbay::plugins::feishu_family
