// patchbay-fake-nyxid: the relay's state and its two write endpoints (docs/protocols/nyxid-relay.md
// §2.1–§2.4, §5 "State to keep"): agent API keys, bots per platform, conversations (routes),
// inbound messages, outbound rows, the reply-token ledger (used JTIs), the per-message edit
// limiter, and POST /api/v1/channel-relay/reply and /reply/update with the note's check order,
// statuses and {error, error_code, message} envelopes.
//
// The reply token's JTI is consumed at check 11, before body validation and the platform send:
// a 400 or 502 after it (or a platform fault injected through `platform_hook`) still burns it.
// Edits never consume a JTI; an edit with a token that never sent is refused.
//
// Tokens are never stored in plain text except the API keys themselves (they are the fake's
// credentials); records name a token by its jti. Time is a caller-supplied Unix-ms clock.
// Not thread-safe (owned by fake_nyxid).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "edit_limiter.hpp"
#include "ids.hpp"
#include "key_store.hpp"

namespace patchbay::fakes::nyxid {

inline constexpr std::string_view reply_audience = "channel-relay/reply";
inline constexpr std::string_view callback_audience = "channel-relay/callback";

struct relay_settings {
  std::string issuer;
  std::int64_t reply_ttl_s = 1800;  // JWT_RELAY_REPLY_TTL_SECS
  std::int64_t leeway_s = 60;
  std::int64_t used_jti_keep_s = 120;  // reply_token_uses TTL: exp + 120 s
  bool omit_platform_message_id = false;
  std::size_t max_messages = 100'000;  // inbound and outbound rows kept (oldest dropped)
};

// An HTTP answer (status + JSON body) from the relay.
struct relay_answer {
  unsigned status = 200;
  boost::json::object body;
  std::string credential;  // "reply_token", "api_key", "other", "none"
  std::string jti;         // the reply token's jti, when one was presented and parsed
  bool consumed = false;   // this request consumed the jti
};

// What a platform fault injected at the send/edit step turns into.
struct platform_failure {
  unsigned status = 502;
  std::string error = "channel_platform_error";
  std::int64_t error_code = 10005;
  std::string message;         // "" = the default text for the status
  std::int64_t lark_code = 0;  // when set for an edit: mapped as lark.rs classify_edit_error
};
using platform_hook = std::function<std::optional<platform_failure>(std::string_view endpoint)>;

class relay_ledger {
 public:
  struct api_key {
    std::string id;
    std::string key;  // SECRET: nyxid_ag_…
    std::string name;
    bool active = true;
  };
  struct conversation {
    std::string id;
    std::string platform;
    std::string bot_id;
    std::string api_key_id;
    std::string type;     // private / group / channel (the route's, §1.4)
    std::string chat_id;  // "" for a default (*) route
    bool active = true;
    bool scope_conflict = false;  // check 9 → 409
  };
  struct inbound {
    std::string message_id;
    std::string conversation_id;
    std::string platform;
    std::string chat_id;
    std::string platform_message_id;
    std::string reply_jti;
    std::int64_t time_ms = 0;
  };
  struct outbound {
    std::string message_id;  // NyxID outbound UUID
    std::string platform_message_id;
    std::string inbound_message_id;
    std::string conversation_id;
    std::string platform;
    std::string chat_id;
    std::string reply_to;    // the inbound platform message id it quotes
    std::string first_text;  // as sent by /reply
    std::string text;        // current text (after edits)
    boost::json::value metadata;
    std::vector<std::string> edits;  // texts of successful edits, oldest first (last 100)
    std::int64_t edit_count = 0;
    std::string credential;  // reply_token / api_key
    std::string jti;
    std::int64_t time_ms = 0;
    std::int64_t edited_ms = 0;
  };

  relay_ledger(relay_settings settings, key_store& keys, id_source& ids);

  relay_settings& settings() { return settings_; }
  edit_limiter& limiter() { return limiter_; }

  // --- state (driven by the inbound driver and the control API) ---
  const api_key& add_api_key(std::string name, std::optional<std::string> key = {});
  const api_key* key_by_id(std::string_view id) const;
  const api_key* key_by_secret(std::string_view secret) const;
  // The bot id of `platform` (made on first use).
  std::string bot_for(std::string_view platform);
  // The route a message on `platform`/`chat_id` takes: the platform's default route (shared by
  // every chat, type `default_type`) unless `per_chat`, then one per chat of type `chat_type`.
  conversation& route_for(std::string_view platform, std::string_view chat_id, bool per_chat,
                          std::string_view chat_type, std::string_view default_type,
                          std::string_view api_key_id);
  inbound& add_inbound(inbound in);
  const inbound* find_inbound(std::string_view message_id) const;
  // A reply token for inbound message `in` (claims of §2.4); `overrides` replace claims
  // (e.g. exp for an expired token), `unpublished_key` signs with an unknown kid.
  std::string mint_reply_token(const inbound& in, std::int64_t now_ms,
                               const boost::json::object& overrides = {},
                               bool unpublished_key = false);
  // Applies a control-API state change; "" or an error text.
  std::string set_state(const boost::json::object& body);
  boost::json::object state_json() const;
  boost::json::array sent_json() const;
  bool jti_used(std::string_view jti) const { return used_jtis_.count(std::string(jti)) != 0; }
  // Forgets messages, rows, used JTIs, edit buckets; restores every key, bot and route to active.
  void reset();

  // --- the endpoints ---
  relay_answer reply(std::string_view authorization, std::string_view body, std::int64_t now_ms,
                     const platform_hook& hook);
  relay_answer update(std::string_view authorization, std::string_view body, std::int64_t now_ms,
                      const platform_hook& hook);

 private:
  struct token_ctx {
    boost::json::object claims;
    std::string jti;
    std::string inbound_message_id;
    std::string conversation_id;
    std::string platform;
    std::string api_key_id;
  };
  // Check 1/1b; nullopt with `err` set on failure.
  std::optional<token_ctx> check_token(std::string_view token, std::int64_t now_ms,
                                       relay_answer& err) const;
  // Checks 4–10 shared by reply and update (conversation, device, key, bot, scope, platform).
  bool check_route(const conversation* conv, std::string_view conv_id, std::string_view platform,
                   const token_ctx* tok, relay_answer& err) const;
  void prune_jtis(std::int64_t now_ms);
  void bound_rows();
  // A successful /reply to `in`: the outbound row (kept for /reply/update and /_fake/sent) and
  // the 200 answer {"message_id","platform_message_id"?}. `jti`: the reply token's, or "".
  relay_answer record_reply(const inbound& in, std::string text, boost::json::value metadata,
                            std::string credential, std::string jti, std::int64_t now_ms);

  relay_settings settings_;
  key_store& keys_;
  id_source& ids_;
  edit_limiter limiter_;
  std::vector<api_key> api_keys_;
  std::map<std::string, std::string, std::less<>> bots_;            // platform → bot id
  std::map<std::string, bool, std::less<>> bot_active_;             // bot id → active
  std::map<std::string, conversation, std::less<>> conversations_;  // id → route
  std::map<std::string, std::string, std::less<>> route_index_;     // platform\nchat → id
  std::unordered_map<std::string, inbound> inbound_;
  std::deque<std::string> inbound_order_;
  std::unordered_map<std::string, outbound> outbound_;  // platform\nplatform msg id → row
  std::deque<std::string> outbound_order_;
  std::unordered_map<std::string, std::int64_t> used_jtis_;  // jti → forget after (ms)
};

// {"error":…, "error_code":…, "message":…} with `status` (§2.8).
relay_answer envelope(unsigned status, std::string_view error, std::int64_t code,
                      std::string message);

}  // namespace patchbay::fakes::nyxid
