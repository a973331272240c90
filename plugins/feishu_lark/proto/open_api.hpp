// Feishu/Lark family: the Open API calls a gateway needs besides messages — the tenant access
// token and the bot's identity (docs/protocols/feishu-lark.md §1, §3.1–3.2) — as request
// builders and answer parsers. The transport (kit HTTP client with deadlines) is the plugin's.
//
//   every call   Authorization: Bearer <tenant token> (except the token call itself),
//                Content-Type: application/json; charset=utf-8
//   answers      {"code":0,"msg":"ok",...}; non-zero code = failure, classified by api_errors.hpp;
//                errors may carry "error":{"log_id":...}
//   token        POST /open-apis/auth/v3/tenant_access_token/internal {"app_id","app_secret"}
//                → {"code":0,"msg":"ok","tenant_access_token":"t-…","expire":7200} (no `data`)
//   bot info     GET /open-apis/bot/v3/info → {"code":0,"bot":{"open_id","app_name",
//                "activate_status",...}} (top-level `bot`, not `data`)
//
// Pure functions; thread-safe. Error texts never contain the secret or a token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "feishu_lark/proto/api_errors.hpp"

namespace patchbay::plugins::feishu_family {

namespace api_path {
inline constexpr std::string_view tenant_token = "/open-apis/auth/v3/tenant_access_token/internal";
inline constexpr std::string_view bot_info = "/open-apis/bot/v3/info";
inline constexpr std::string_view messages = "/open-apis/im/v1/messages";
}  // namespace api_path

inline constexpr std::string_view json_content_type = "application/json; charset=utf-8";

// One HTTP request to the Open API, relative to the brand's domain.
struct api_request {
  std::string method;  // "GET", "POST", "PUT", "PATCH"
  std::string target;  // path and query
  std::string body;    // JSON, empty for GET
  bool with_token = true;
  // The body carries an idempotency key (the platform dedups a repeat): a request that died on a
  // stale pooled connection may be sent again on a fresh one.
  bool idempotent = false;
  // Media (media.hpp): a body that is not JSON, an answer streamed into a file, a longer total.
  std::string content_type;       // "" = JSON
  std::string body_file;          // a 2xx answer's body goes here (capped by max_answer_bytes)
  uint64_t max_answer_bytes = 0;  // with body_file; 0 = the usual answer limit
  int64_t total_timeout_ms = 0;   // 0 = the channel's (connect + api timeout)
};

// ---- tenant access token ----
// The body carries the app secret: send it, never log it.
api_request tenant_token_request(std::string_view app_id, std::string_view app_secret);

struct token_result {
  api_error error;  // ok() on success
  std::string token;
  int64_t expire_s = 0;
};
// A success needs a non-empty token and a positive expire (otherwise the platform answered
// something the SDKs would throw on: classified retryable).
token_result parse_tenant_token_response(int http_status, std::string_view body);

// ---- bot identity ----
api_request bot_info_request();

struct bot_identity {
  std::string open_id;
  std::string app_name;
  int64_t activate_status = -1;  // 2 = enabled; -1 = not reported
};
struct bot_info_result {
  api_error error;
  bot_identity bot;
};
// A success without bot.open_id is an error (mentions of the bot could not be detected).
bot_info_result parse_bot_info_response(int http_status, std::string_view body);
// Why the bot cannot work given its activate_status (0 awaiting install, 1 disabled, 3/4 awaiting
// enable, 5 licence expired, 6 plan expired); nullopt for 2 (enabled) and -1 (not reported).
std::optional<std::string> bot_inactive_reason(int64_t activate_status);

// ---- the common answer envelope (used by the message calls too) ----
struct api_answer {
  api_error error;
  std::string data_json;  // the serialized "data" object on success ("" when absent)
};
api_answer parse_api_answer(api_op op, int http_status, std::string_view body,
                            std::string_view ratelimit_reset = {});

}  // namespace patchbay::plugins::feishu_family
