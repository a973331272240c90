#include "feishu_lark/proto/api_errors.hpp"

#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::feishu_family {
namespace json_util = patchbay::common::json_util;
namespace {

struct rule {
  pb_error_code code;
  error_kind kind;
};

// The operation-independent codes (§6). Returns false for an unknown code.
bool lookup(int64_t c, rule& r) {
  switch (c) {
    case 99991400:  // request trigger frequency limit (HTTP 429, or 400 on some APIs)
    case 230020:    // IM-level frequency limit (HTTP 400)
      r = {PB_ERR_RATE_LIMITED, error_kind::rate_limited};
      return true;
    case 99991661:  // need a token
    case 99991663:  // invalid access token (expired or revoked tenant token)
    case 99991665:  // invalid tenant code
    case 99991671:  // token must start with t-/u-
      r = {PB_ERR_AUTH, error_kind::token_invalid};
      return true;
    case 10014:  // app unauthorized / app secret invalid / app id not exists
    case 10015:  // wrong app secret
      r = {PB_ERR_AUTH, error_kind::bad_credentials};
      return true;
    case 99991662:  // app not in use (disabled)
    case 99991673:  // unauthorized app (not installed in the tenant)
    case 230006:    // bot ability not activated
      r = {PB_ERR_AUTH, error_kind::app_unavailable};
      return true;
    case 99991401:  // IP denied by the app's allowlist
    case 99991672:  // a scope is missing
    case 230002:    // the bot is not in the chat
    case 230013:    // recipient outside the app's availability range
    case 230017:    // bot is not the owner of the resource
    case 230018:    // blocked by group settings
    case 230027:    // lacking permission
    case 230029:    // user resigned
    case 230035:    // no permission to send (muted or blocked)
    case 230038:    // cross-tenant p2p forbidden
    case 230050:    // target invisible to the operator
    case 230053:    // the user stopped the bot
    case 99992361:  // open_id of another app
    case 99992364:  // id of another tenant
    case 99992381:  // union_id of another tenant
      r = {PB_ERR_REJECTED, error_kind::permission};
      return true;
    case 230022:  // sensitive content
    case 230028:  // DLP audit failed
    case 230015:  // p2p chat can't be shared
      r = {PB_ERR_REJECTED, error_kind::invalid_input};
      return true;
    case 99991403:  // monthly API quota exceeded
      r = {PB_ERR_REJECTED, error_kind::quota_exceeded};
      return true;
    case 230025:  // content too long (150 KB text, 30 KB card or post)
      r = {PB_ERR_INVALID_INPUT, error_kind::message_too_long};
      return true;
    case 230001:  // invalid request parameter
    case 230034:  // receive_id invalid
    case 230054:  // message type not supported here
    case 230055:  // upload type mismatch
    case 230099:  // failed to create card content
    case 200621:  // parse card json err (PATCH with a non-card body)
      r = {PB_ERR_INVALID_INPUT, error_kind::invalid_input};
      return true;
    case 230073:  // edit: secret chat
    case 230074:  // edit: third-party-encrypted chat
    case 230031:  // PATCH: older than 14 days
      r = {PB_ERR_UNSUPPORTED, error_kind::edit_unsupported};
      return true;
    case 230011:    // message recalled
    case 230110:    // message deleted
    case 230111:    // target self-destructs soon
    case 230019:    // topic doesn't exist
    case 232009:    // chat dissolved
    case 231003:    // used by gateways as "reply target gone" (UNVERIFIED)
    case 99992354:  // message ids not existed
    case 99992351:  // open_ids not existed
    case 99992360:  // user_ids not existed
    case 99992363:  // union_ids not existed
      r = {PB_ERR_NOT_FOUND, error_kind::not_found};
      return true;
    case 230049:  // message is being sent
      r = {PB_ERR_RETRYABLE, error_kind::transient};
      return true;
    default:
      return false;
  }
}

// Codes whose meaning depends on the operation (§3.4–3.5, §6).
bool lookup_for(api_op op, int64_t c, rule& r) {
  const bool edit = op == api_op::edit;
  switch (c) {
    case 10003:  // invalid parameter; at the token endpoint: a malformed app id
      r = op == api_op::token ? rule{PB_ERR_AUTH, error_kind::bad_credentials}
                              : rule{PB_ERR_INVALID_INPUT, error_kind::invalid_input};
      return true;
    case 230071:  // reply: no thread reply in this group · edit: not the sender
      r = {PB_ERR_REJECTED, edit ? error_kind::permission : error_kind::invalid_input};
      return true;
    case 230072:  // reply: aggregated message · edit: the 20-edit limit is reached
      r = edit ? rule{PB_ERR_UNSUPPORTED, error_kind::edit_limit}
               : rule{PB_ERR_REJECTED, error_kind::invalid_input};
      return true;
    case 230075:  // send/reply: encrypted chat · edit: the edit window passed
      r = {PB_ERR_UNSUPPORTED, edit ? error_kind::edit_unsupported : error_kind::permission};
      return true;
    case 200850:  // card: streaming mode timed out (10 minutes after it was turned on)
    case 300309:  // card: streaming mode is closed
      if (op != api_op::card) return lookup(c, r);
      r = {PB_ERR_UNSUPPORTED, error_kind::stream_closed};
      return true;
    case 300317:  // card: sequence conflict
      if (op != api_op::card) return lookup(c, r);
      r = {PB_ERR_RETRYABLE, error_kind::sequence_conflict};
      return true;
    case 300313:  // card: element not found
      if (op != api_op::card) return lookup(c, r);
      r = {PB_ERR_NOT_FOUND, error_kind::not_found};
      return true;
    case 234003:  // resource download: the file is not in that message (UNVERIFIED wording)
      if (op != api_op::resource) return lookup(c, r);
      r = {PB_ERR_NOT_FOUND, error_kind::not_found};
      return true;
    case 234043:  // resource download: a card or merged-forward message carries no resources
      if (op != api_op::resource) return lookup(c, r);
      r = {PB_ERR_UNSUPPORTED, error_kind::invalid_input};
      return true;
    default:
      return lookup(c, r);
  }
}

// x-ogw-ratelimit-reset: seconds until the window resets ("3", maybe "0.5"); 0 when unusable.
int64_t reset_ms(std::string_view h) {
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  const size_t dot = h.find('.');
  const auto whole = json_util::parse_decimal(h.substr(0, dot));
  if (!whole || *whole > 86400) return 0;
  int64_t ms = static_cast<int64_t>(*whole) * 1000;
  if (dot != std::string_view::npos) {
    std::string_view frac = h.substr(dot + 1);
    if (frac.empty() || !json_util::parse_decimal(frac)) return 0;
    int64_t scale = 100;
    for (size_t i = 0; i < frac.size() && scale > 0; ++i, scale /= 10)
      ms += (frac[i] - '0') * scale;
    if (frac.size() > 3) ms += 1;  // round the rest up: never retry early
  }
  return ms;
}

std::string describe(api_op op, int http_status, int64_t code, std::string_view msg,
                     std::string_view log_id) {
  std::string s = std::string(to_string(op)) + " failed: HTTP " + std::to_string(http_status);
  if (code != 0) s += ", code " + std::to_string(code);
  if (!msg.empty()) s += " (" + json_util::clip(msg) + ")";
  if (!log_id.empty()) s += ", log_id " + json_util::clip(log_id, 80);
  return s;
}

}  // namespace

const char* to_string(api_op op) {
  switch (op) {
    case api_op::token:
      return "tenant_access_token";
    case api_op::bot_info:
      return "bot info";
    case api_op::send:
      return "send";
    case api_op::reply:
      return "reply";
    case api_op::edit:
      return "edit";
    case api_op::patch_card:
      return "card patch";
    case api_op::card:
      return "card update";
    case api_op::other:
      return "request";
    case api_op::upload_image:
      return "image upload";
    case api_op::upload_file:
      return "file upload";
    case api_op::resource:
      return "resource download";
  }
  return "request";
}

const char* to_string(error_kind k) {
  switch (k) {
    case error_kind::none:
      return "none";
    case error_kind::rate_limited:
      return "rate_limited";
    case error_kind::token_invalid:
      return "token_invalid";
    case error_kind::bad_credentials:
      return "bad_credentials";
    case error_kind::app_unavailable:
      return "app_unavailable";
    case error_kind::permission:
      return "permission";
    case error_kind::quota_exceeded:
      return "quota_exceeded";
    case error_kind::message_too_long:
      return "message_too_long";
    case error_kind::edit_limit:
      return "edit_limit";
    case error_kind::edit_unsupported:
      return "edit_unsupported";
    case error_kind::stream_closed:
      return "stream_closed";
    case error_kind::sequence_conflict:
      return "sequence_conflict";
    case error_kind::not_found:
      return "not_found";
    case error_kind::invalid_input:
      return "invalid_input";
    case error_kind::transient:
      return "transient";
    case error_kind::unknown:
      return "unknown";
  }
  return "unknown";
}

bool is_invalid_token_code(int64_t code) {
  return code == 99991661 || code == 99991663 || code == 99991665 || code == 99991671;
}

api_error classify_api_error(api_op op, int http_status, int64_t code, std::string_view msg,
                             std::string_view ratelimit_reset, std::string_view log_id) {
  api_error e;
  e.http_status = http_status;
  e.platform_code = code;
  const bool http_ok = http_status >= 200 && http_status <= 299;
  if (http_ok && code == 0) return e;

  rule r{PB_ERR_REJECTED, error_kind::unknown};
  if (http_status == 429) {
    r = {PB_ERR_RATE_LIMITED, error_kind::rate_limited};
  } else if (code != 0 && lookup_for(op, code, r)) {
    // known platform code
  } else if (http_status >= 500 || http_status == 408 || http_status <= 0) {
    r = {PB_ERR_RETRYABLE, error_kind::transient};
  } else if (code == 0 && (http_status == 401 || http_status == 403)) {
    r = {PB_ERR_AUTH, error_kind::unknown};
  } else if (http_status == 404 && (code == 0 || op == api_op::resource)) {
    r = {PB_ERR_NOT_FOUND, error_kind::not_found};
  }
  e.code = r.code;
  e.kind = r.kind;
  if (e.code == PB_ERR_RATE_LIMITED) e.retry_after_ms = reset_ms(ratelimit_reset);
  e.message = describe(op, http_status, code, msg, log_id);
  return e;
}

api_error unreadable_answer(api_op op, int http_status, std::string_view why,
                            std::string_view ratelimit_reset) {
  api_error e = classify_api_error(op, http_status, 0, {}, ratelimit_reset, {});
  if (e.ok() || (e.code == PB_ERR_REJECTED && e.kind == error_kind::unknown)) {
    // A 2xx (or a plain 4xx) whose body is not the platform's envelope: a proxy or a bug on the
    // way, worth a retry rather than a silent success.
    e.code = PB_ERR_RETRYABLE;
    e.kind = error_kind::transient;
  }
  e.http_status = http_status;
  e.message = std::string(to_string(op)) + " failed: HTTP " + std::to_string(http_status) +
              ", unreadable answer (" + json_util::clip(why) + ")";
  return e;
}

}  // namespace patchbay::plugins::feishu_family
