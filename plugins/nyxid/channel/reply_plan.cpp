#include "reply_plan.hpp"

#include <boost/json/serialize.hpp>

#include "patchbay/common/digest.hpp"
#include "patchbay/common/json_util.hpp"

namespace patchbay::plugins::nyxid {
namespace json = boost::json;
namespace json_util = patchbay::common::json_util;

std::string encode_reply_context(const reply_context& c) {
  json::object o;
  o["m"] = c.message_id;
  if (!c.token.empty()) o["t"] = c.token;
  if (!c.platform.empty()) o["p"] = c.platform;
  return json::serialize(o);
}

std::optional<reply_context> decode_reply_context(std::string_view bytes) {
  auto v = json_util::parse(bytes);
  if (!v || !v->is_object()) return std::nullopt;
  const json::object& o = v->get_object();
  reply_context c;
  c.message_id = std::string(json_util::string_at(o, "m"));
  c.token = std::string(json_util::string_at(o, "t"));
  c.platform = std::string(json_util::string_at(o, "p"));
  if (c.message_id.empty()) return std::nullopt;
  return c;
}

std::string token_key(std::string_view token) { return patchbay::common::sha256_hex(token); }

const char* to_string(send_route r) {
  switch (r) {
    case send_route::reply_with_token:
      return "reply with the reply token";
    case send_route::reply_with_api_key:
      return "reply with the api key";
    case send_route::proxy:
      return "proxy";
    case send_route::token_spent_no_key:
      return "reply token spent and no api_key configured";
    case send_route::no_credential:
      return "no reply token and no api_key configured";
    case send_route::no_proxy:
      return "no proxy configured (proxy_slug, proxy_api_key)";
    case send_route::bad_context:
      return "reply context not from this channel";
  }
  return "unknown";
}

send_plan plan_send(std::string_view context_bytes, std::string_view reply_to, bool token_spent,
                    bool has_api_key, bool has_proxy) {
  send_plan p;
  bool had_token = false;
  if (!context_bytes.empty()) {
    auto c = decode_reply_context(context_bytes);
    if (!c) return p;  // bad_context
    p.inbound_message_id = c->message_id;
    p.platform = c->platform;
    had_token = !c->token.empty();
    if (had_token && !token_spent) {
      p.route = send_route::reply_with_token;
      p.token = std::move(c->token);
      return p;
    }
  } else if (!reply_to.empty()) {
    p.inbound_message_id = std::string(reply_to);
    had_token = true;  // the host dropped the context after the token was spent (token_used)
  } else {
    p.route = has_proxy ? send_route::proxy : send_route::no_proxy;
    return p;
  }
  if (has_api_key)
    p.route = send_route::reply_with_api_key;
  else
    p.route = had_token ? send_route::token_spent_no_key : send_route::no_credential;
  return p;
}

edit_credential plan_edit(std::string_view context_bytes, bool has_api_key,
                          std::string* token_out) {
  if (has_api_key) return edit_credential::api_key;
  auto c = decode_reply_context(context_bytes);
  if (!c || c->token.empty()) return edit_credential::none;
  if (token_out) *token_out = std::move(c->token);
  return edit_credential::reply_token;
}

relay_transport relay_transport_of(std::string_view e) {
  if (e.empty()) return relay_transport::answered;
  for (std::string_view before : {"resolve failed", "connect timeout", "connection refused",
                                  "connect failed", "tls: ", "bad url"})
    if (e.rfind(before, 0) == 0) return relay_transport::not_sent;
  return relay_transport::no_answer;
}

}  // namespace patchbay::plugins::nyxid
