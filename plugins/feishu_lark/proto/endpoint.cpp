#include "feishu_lark/proto/endpoint.hpp"

#include <boost/json.hpp>

#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::feishu_family {
namespace json_util = patchbay::common::json_util;
namespace json = boost::json;

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::string endpoint_request_body(std::string_view app_id, std::string_view app_secret) {
  return json::serialize(json::object{{"AppID", app_id}, {"AppSecret", app_secret}});
}

discovery_outcome classify_endpoint_code(int64_t code) {
  if (code == endpoint_code::ok) return discovery_outcome::ok;
  if (code == endpoint_code::system_busy || code == endpoint_code::internal_error)
    return discovery_outcome::retryable;
  return discovery_outcome::fatal;
}

std::optional<std::string> query_param(std::string_view url, std::string_view name) {
  const size_t q = url.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = url.substr(q + 1);
  if (const size_t h = query.find('#'); h != std::string_view::npos) query = query.substr(0, h);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string key = percent_decode(pair.substr(0, eq));
    if (key == name)
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

endpoint_result parse_endpoint_response(int http_status, std::string_view body,
                                        const client_config_bounds& bounds) {
  endpoint_result r;
  r.http_status = http_status;
  if (http_status < 200 || http_status > 299) {
    r.reason = "endpoint discovery answered HTTP " + std::to_string(http_status);
    return r;
  }
  std::string error;
  const auto v = json_util::parse(body, &error);
  const json::object* o = v ? v->if_object() : nullptr;
  if (!o) {
    r.reason = "endpoint discovery: " + (v ? std::string("answer is not a JSON object") : error);
    return r;
  }
  const auto code = json_util::int_at(*o, "code");
  if (!code) {
    r.reason = "endpoint discovery: answer without an integer code";
    return r;
  }
  r.code = *code;
  r.msg = json_util::clip(json_util::string_at(*o, "msg"));
  r.outcome = classify_endpoint_code(*code);
  if (r.outcome != discovery_outcome::ok) {
    r.reason = "endpoint discovery refused: code " + std::to_string(*code) +
               (r.msg.empty() ? std::string() : " (" + r.msg + ")");
    return r;
  }

  const json::object* data = json_util::object_at(*o, "data");
  const std::string_view url = data ? json_util::string_at(*data, "URL") : std::string_view();
  if (url.rfind("wss://", 0) != 0 && url.rfind("ws://", 0) != 0) {
    r.outcome = discovery_outcome::retryable;
    r.reason = url.empty() ? "endpoint discovery: success without a URL"
                           : "endpoint discovery: URL is not ws:// or wss://";
    return r;
  }
  r.url = std::string(url);
  r.device_id = query_param(url, "device_id").value_or("");
  if (const auto s = query_param(url, "service_id")) {
    const auto n = json_util::parse_signed(*s);
    if (n && *n >= INT32_MIN && *n <= INT32_MAX) r.service_id = static_cast<int32_t>(*n);
  }
  const json::value* cc = data->if_contains("ClientConfig");
  if (!cc) {
    r.config_defaulted = true;
    r.reason = "endpoint discovery: no ClientConfig, defaults kept";
  } else if (auto c = client_config_from_json(*cc, bounds); c.config) {
    r.config = *c.config;
  } else {
    r.config_defaulted = true;
    r.reason = "endpoint discovery: " + c.error + ", defaults kept";
  }
  return r;
}

handshake_verdict classify_handshake_failure(int http_status, std::string_view handshake_status,
                                             std::string_view handshake_msg,
                                             std::string_view handshake_autherrcode) {
  handshake_verdict v;
  v.handshake_status = json_util::parse_signed(handshake_status).value_or(0);
  v.auth_code = json_util::parse_signed(handshake_autherrcode).value_or(0);
  v.fatal = v.handshake_status == endpoint_code::forbidden ||
            (v.handshake_status == endpoint_code::auth_failed &&
             v.auth_code == endpoint_code::connection_limit);
  v.reason = "WebSocket upgrade refused: HTTP " + std::to_string(http_status);
  if (v.handshake_status != 0)
    v.reason += ", Handshake-Status " + std::to_string(v.handshake_status);
  if (v.auth_code != 0) v.reason += ", Handshake-Autherrcode " + std::to_string(v.auth_code);
  if (!handshake_msg.empty()) v.reason += " (" + json_util::clip(handshake_msg) + ")";
  return v;
}

}  // namespace patchbay::plugins::feishu_family
