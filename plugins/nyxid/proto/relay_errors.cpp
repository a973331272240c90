#include "nyxid/proto/relay_errors.hpp"

#include "nyxid/proto/relay_api.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::nyxid {
namespace json_util = patchbay::common::json_util;

const char* to_string(relay_error_kind k) {
  switch (k) {
    case relay_error_kind::none:
      return "none";
    case relay_error_kind::token_already_used:
      return "token_already_used";
    case relay_error_kind::token_expired:
      return "token_expired";
    case relay_error_kind::token_not_used_yet:
      return "token_not_used_yet";
    case relay_error_kind::unauthorized:
      return "unauthorized";
    case relay_error_kind::forbidden:
      return "forbidden";
    case relay_error_kind::not_found:
      return "not_found";
    case relay_error_kind::validation:
      return "validation";
    case relay_error_kind::bot_inactive:
      return "bot_inactive";
    case relay_error_kind::device_channel:
      return "device_channel";
    case relay_error_kind::conflict:
      return "conflict";
    case relay_error_kind::rate_limited:
      return "rate_limited";
    case relay_error_kind::edit_unsupported:
      return "edit_unsupported";
    case relay_error_kind::platform_error:
      return "platform_error";
    case relay_error_kind::server_error:
      return "server_error";
    case relay_error_kind::unexpected_status:
      return "unexpected_status";
    case relay_error_kind::not_sent:
      return "not_sent";
    case relay_error_kind::no_answer:
      return "no_answer";
  }
  return "unknown";
}

namespace {

bool token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '+' || c == '/' || c == '=';
}

const char* op_name(relay_op op) {
  switch (op) {
    case relay_op::reply:
      return "reply";
    case relay_op::update:
      return "reply/update";
    case relay_op::other:
      return "request";
  }
  return "request";
}

int64_t retry_after_ms(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  const auto s = json_util::parse_decimal(header);
  if (!s || *s > 86'400) return 0;
  return static_cast<int64_t>(*s) * 1000;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The class an answered, failed request gets when nothing is at stake but the request itself.
void classify_status(relay_error& e, relay_op op) {
  const int s = e.http_status;
  const bool edit = op == relay_op::update;
  if (s == 501 || e.error == "edit_unsupported" || e.error_code == 10007) {
    e.code = PB_ERR_UNSUPPORTED;
    e.kind = relay_error_kind::edit_unsupported;
  } else if (s == 429 || e.error == "rate_limited" || e.error_code == 1005) {
    e.code = PB_ERR_RATE_LIMITED;
    e.kind = relay_error_kind::rate_limited;
  } else if (s == 401) {
    e.code = PB_ERR_AUTH;
    if (e.error == "token_expired" || e.error_code == 2001)
      e.kind = relay_error_kind::token_expired;
    else if (contains(e.message, "already used"))
      e.kind = relay_error_kind::token_already_used;
    else if (contains(e.message, "must be used to send"))
      e.kind = relay_error_kind::token_not_used_yet;
    else
      e.kind = relay_error_kind::unauthorized;
  } else if (s == 403) {
    e.code = PB_ERR_REJECTED;
    e.kind = relay_error_kind::forbidden;
  } else if (s == 404) {
    e.code = PB_ERR_NOT_FOUND;
    e.kind = relay_error_kind::not_found;
  } else if (s == 409) {
    e.code = PB_ERR_REJECTED;
    e.kind = relay_error_kind::conflict;
  } else if (s == 400) {
    if (e.error_code == 10001 || e.error == "channel_bot_inactive") {
      e.code = PB_ERR_REJECTED;
      e.kind = relay_error_kind::bot_inactive;
    } else if (e.error_code == 10006 || e.error == "device_channel_reply_not_allowed") {
      e.code = PB_ERR_REJECTED;
      e.kind = relay_error_kind::device_channel;
    } else {
      e.code = PB_ERR_INVALID_INPUT;
      e.kind = relay_error_kind::validation;
    }
  } else if (s == 502 || e.error_code == 10005) {
    e.code = PB_ERR_RETRYABLE;
    e.kind = relay_error_kind::platform_error;
  } else if (s >= 500) {
    e.code = PB_ERR_RETRYABLE;
    e.kind = relay_error_kind::server_error;
  } else {
    e.code = edit ? PB_ERR_RETRYABLE : PB_ERR_REJECTED;
    e.kind = relay_error_kind::unexpected_status;
  }
  if (edit && e.code != PB_ERR_RETRYABLE && e.code != PB_ERR_RATE_LIMITED) e.stop_editing = true;
}

// On the reply-token path of /reply, which answers come before the jti is consumed (§2.2 checks
// 1–10 and the rate limiter); everything else burns the token.
bool before_consumption(const relay_error& e) {
  switch (e.kind) {
    case relay_error_kind::unauthorized:
    case relay_error_kind::forbidden:
    case relay_error_kind::not_found:
    case relay_error_kind::conflict:
    case relay_error_kind::rate_limited:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string redact_secrets(std::string_view text, size_t max) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const std::string_view rest = text.substr(i);
    size_t skip = 0;
    if (rest.rfind("eyJ", 0) == 0 || rest.rfind("nyxid_", 0) == 0) {
      skip = 0;
      while (skip < rest.size() && token_char(rest[skip])) ++skip;
      if (skip < 12) skip = 0;
    } else if (rest.rfind("Bearer ", 0) == 0 || rest.rfind("bearer ", 0) == 0) {
      skip = 7;
      while (skip < rest.size() && token_char(rest[skip])) ++skip;
      if (skip == 7) skip = 0;
    }
    if (skip > 0) {
      out += "[redacted]";
      i += skip;
    } else {
      out += text[i++];
    }
  }
  return json_util::clip(out, max);
}

relay_error classify_relay_result(relay_op op, relay_credential credential,
                                  relay_transport transport, int http_status, std::string_view body,
                                  std::string_view retry_after) {
  relay_error e;
  const bool spends = op == relay_op::reply && credential == relay_credential::reply_token;
  const std::string prefix = std::string("nyxid ") + op_name(op) + ": ";
  if (transport == relay_transport::not_sent) {
    e.code = PB_ERR_RETRYABLE;
    e.kind = relay_error_kind::not_sent;
    e.message = prefix + "request not sent";
    return e;
  }
  if (transport == relay_transport::no_answer) {
    e.kind = relay_error_kind::no_answer;
    e.outcome_unknown = op != relay_op::update;
    e.token_spent = spends;
    e.code = spends ? PB_ERR_TOKEN_USED : PB_ERR_RETRYABLE;
    e.message = prefix +
                (spends ? "no answer after sending; reply token spent" : "no answer after sending");
    return e;
  }
  e.http_status = http_status;
  if (http_status >= 200 && http_status < 300) {
    e.token_spent = spends;  // a success consumes the token too
    return e;
  }
  if (auto env = parse_error_envelope(body)) {
    e.error = std::move(env->error);
    e.error_code = env->error_code;
    e.message = std::move(env->message);
  }
  classify_status(e, op);
  if (e.kind == relay_error_kind::rate_limited) e.retry_after_ms = retry_after_ms(retry_after);
  if (spends && !before_consumption(e)) {
    e.token_spent = true;
    e.code = PB_ERR_TOKEN_USED;
  }

  std::string m = prefix + "HTTP " + std::to_string(http_status);
  if (!e.error.empty()) m += " " + e.error;
  if (e.error_code != 0) m += " (" + std::to_string(e.error_code) + ")";
  if (!e.message.empty()) m += ": " + e.message;
  if (e.token_spent) m += "; reply token spent";
  e.message = redact_secrets(m);
  e.error = redact_secrets(e.error, 64);
  return e;
}

}  // namespace patchbay::plugins::nyxid
