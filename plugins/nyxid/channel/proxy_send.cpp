#include "proxy_send.hpp"

#include "feishu_lark/proto/messages_api.hpp"
#include "nyxid/proto/relay_api.hpp"
#include "nyxid/proto/relay_errors.hpp"
#include "patchbay/common/json_util.hpp"
#include "patchbay/pb_types.h"

namespace patchbay::plugins::nyxid {
namespace fs = feishu_family;
namespace json_util = patchbay::common::json_util;

namespace {

bool clean(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '|') return false;
  return true;
}

// The type an id's shape says, or "" when the shape is not distinctive (plain user ids).
std::string_view distinctive_type(std::string_view id) {
  if (id.rfind("oc_", 0) == 0) return "chat_id";
  if (id.rfind("ou_", 0) == 0) return "open_id";
  if (id.rfind("on_", 0) == 0) return "union_id";
  if (id.find('@') != std::string_view::npos) return "email";
  return {};
}

}  // namespace

std::optional<proxy_target> parse_proxy_target(std::string_view conversation,
                                               std::string_view fallback_type) {
  proxy_target t;
  const size_t bar = conversation.find('|');
  const std::string_view primary = conversation.substr(0, bar);
  if (!clean(primary)) return std::nullopt;
  t.id = std::string(primary);
  t.type = fs::to_string(fs::detect_receive_id_type(primary));
  if (bar != std::string_view::npos) {
    const std::string_view fb = conversation.substr(bar + 1);
    if (!clean(fb)) return std::nullopt;
    t.fallback_id = std::string(fb);
    const std::string_view shape = distinctive_type(fb);
    t.fallback_type = std::string(shape.empty() ? fallback_type : shape);
  }
  return t;
}

proxy_request build_proxy_send(std::string_view slug, std::string_view receive_id,
                               std::string_view receive_id_type, std::string_view text,
                               std::string_view idempotency_seed) {
  fs::receive_id_type type = fs::receive_id_type::user_id;
  for (auto t :
       {fs::receive_id_type::chat_id, fs::receive_id_type::open_id, fs::receive_id_type::union_id,
        fs::receive_id_type::user_id, fs::receive_id_type::email})
    if (receive_id_type == fs::to_string(t)) type = t;
  const fs::api_request r = fs::send_message_request(
      receive_id, type, fs::text_message(text),
      idempotency_seed.empty() ? std::string_view{} : fs::derive_uuid(idempotency_seed));
  return {"/api/v1/proxy/s/" + std::string(slug) + r.target, r.body};
}

proxy_result classify_proxy_answer(int status, std::string_view body,
                                   std::string_view ratelimit_reset) {
  proxy_result r;
  // NyxID's own envelope: {"error":"<key>","error_code":N,"message":…} and no Lark `code`.
  auto parsed = json_util::parse(body);
  const bool lark_shaped = parsed && parsed->is_object() && parsed->get_object().contains("code");
  if (status >= 300 && !lark_shaped) {
    auto env = parse_error_envelope(body);
    if (status == 401)
      r.code = PB_ERR_AUTH;
    else if (status == 404)
      r.code = PB_ERR_NOT_FOUND;
    else if (status == 429)
      r.code = PB_ERR_RATE_LIMITED;
    else if (status >= 500)
      r.code = PB_ERR_RETRYABLE;
    else
      r.code = PB_ERR_REJECTED;  // 403 api_key_scope_forbidden, other 4xx
    std::string m = "nyxid proxy: HTTP " + std::to_string(status);
    if (env) {
      r.nyxid_error = env->error;
      m += " " + env->error;
      if (env->error_code != 0) m += " (" + std::to_string(env->error_code) + ")";
      if (!env->message.empty()) m += ": " + env->message;
    }
    r.message = redact_secrets(m);
    return r;
  }
  const fs::message_result m =
      fs::parse_message_response(fs::api_op::send, status, body, ratelimit_reset);
  if (m.error.ok()) {
    r.message_id = m.message_id;
    return r;
  }
  r.code = m.error.code;
  r.lark_code = m.error.platform_code;
  r.retry_after_ms = m.error.retry_after_ms;
  r.message = redact_secrets("nyxid proxy: " + m.error.message);
  return r;
}

proxy_result proxy_transport_failure(std::string_view kit_error) {
  proxy_result r;
  r.code = PB_ERR_RETRYABLE;
  r.message = "nyxid proxy: " + redact_secrets(kit_error);
  return r;
}

}  // namespace patchbay::plugins::nyxid
