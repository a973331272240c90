// What the NyxID channel decides before any outbound request, as pure functions (unit-tested):
//
// reply_context — the opaque bytes the plugin hands the host with each inbound message and gets
//   back on every send/edit of that turn: {"m": inbound message_id, "t": reply token, "p":
//   platform} as compact JSON. The token is a SECRET (single use, 30 min): never logged.
//
// plan_send — which way a send goes:
//   reply context with a token not yet spent        → /reply with the token
//   token spent or absent, inbound id known (reply context or reply_to_message_id — the host's
//   retry after token_used drops the context but keeps reply_to), agent api_key configured
//                                                    → /reply with the api_key
//   same without an api_key                          → undeliverable (token_used when the token
//                                                      was spent, auth when there never was one)
//   no context and no reply_to (POST /v1/messages)   → the proxy (proxy_send.hpp), if configured
// plan_edit — /reply/update takes the api_key when configured, else the turn's token (NyxID
//   accepts a token for edits only after it sent a message, which the placeholder did).
//
// relay_transport_of — a kit HTTP client error text, told apart into "never reached NyxID"
//   (resolve, connect, TLS handshake) and "may have been sent" (timeouts, resets, cancels).
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "nyxid/proto/relay_errors.hpp"

namespace patchbay::plugins::nyxid {

struct reply_context {
  std::string message_id;  // NyxID inbound UUID: the key of /reply
  std::string token;       // SECRET; "" when NyxID sent none
  std::string platform;
};

std::string encode_reply_context(const reply_context& c);
// nullopt when `bytes` is not a context this plugin wrote (or has no message id).
std::optional<reply_context> decode_reply_context(std::string_view bytes);

// The key under which a spent token is remembered: hex SHA-256, so the cache holds no token.
std::string token_key(std::string_view token);

enum class send_route {
  reply_with_token,
  reply_with_api_key,
  proxy,
  token_spent_no_key,  // PB_ERR_TOKEN_USED: the token is spent and nothing else can reply
  no_credential,       // PB_ERR_AUTH: no token and no api_key
  no_proxy,            // PB_ERR_UNSUPPORTED: proactive send without proxy_slug/proxy_api_key
  bad_context,         // PB_ERR_INVALID_INPUT: reply context not ours
};
const char* to_string(send_route r);

struct send_plan {
  send_route route = send_route::bad_context;
  std::string inbound_message_id;
  std::string token;  // with reply_with_token
  std::string platform;
};

// `token_spent`: whether the context's token is known spent (the caller's LRU).
send_plan plan_send(std::string_view reply_context_bytes, std::string_view reply_to_message_id,
                    bool token_spent, bool has_api_key, bool has_proxy);

enum class edit_credential { api_key, reply_token, none };
edit_credential plan_edit(std::string_view reply_context_bytes, bool has_api_key,
                          std::string* token_out);

relay_transport relay_transport_of(std::string_view kit_error);

}  // namespace patchbay::plugins::nyxid
