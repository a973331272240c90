// Feishu/Lark family: inbound events → the host (docs/protocols/feishu-lark.md §2.8, §4).
// The same path serves both transports: the WS supervisor's on_event (ack 200 / 500) and a
// verified webhook delivery (HTTP 200 / 503).
//
// Every message kind reaches the host: text and post as text, image/file/audio/media/sticker
// (and a post's images) as attachments with an empty text, unknown kinds as empty text; the
// event itself always travels as raw_json.
//
//   event JSON → envelope → dedup (in-memory bounded LRU of event ids and message ids, entries
//   expire after dedup_ttl) → decide_event (below) → pb_inbound_message → host emit_inbound.
//
// The event_id handed to the host is the MESSAGE id: a re-push carries the same event_id AND the
// same message id, and the same message can arrive under two event ids (v1 and v2 subscriptions,
// internal duplicates), so the message id is the one stable key. The host's durable dedup keeps it
// for days, beyond the platform's ~7.1 h re-push window; the in-memory LRU only spares the store a
// write for a duplicate seen recently.
//
// The answer (`inbound_answer(true)` = acknowledge) is given ONLY once the host answered ACCEPTED
// or DUPLICATE; REFUSED answers false so the platform re-pushes. Events the channel does not act
// on (other event types, group messages without an @-mention of the bot, card.action.trigger: no
// card flows yet) are acknowledged and logged at debug: an
// unanswered or 500-answered event is re-pushed four times over 7 hours for nothing. A group
// message that needs the mention check while the bot identity is still unknown is answered false
// (re-pushed 15 s later, by when bot/v3/info has usually answered).
//
// Threading: handle() and set_bot_open_id() run on the channel's strand; the answer is called on
// that strand. Host calls go through the instance's host_gate.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "feishu_lark/proto/channel_config.hpp"
#include "feishu_lark/proto/events.hpp"
#include "patchbay/kit/runtime.hpp"
#include "support/bounded_lru.hpp"
#include "support/plugin_runtime.hpp"

namespace patchbay::plugins::feishu_family {

// ---- the pure decision (unit-tested) ----
enum class event_action { emit, ignore, card, need_identity };
struct event_decision {
  event_action action = event_action::ignore;
  std::string reason;                  // ignore / need_identity: for the log
  std::optional<inbound_message> msg;  // emit
};
event_decision decide_event(const envelope& env, const std::string& bot_open_id,
                            bool group_require_mention);

// ---- the stateful handler ----
using inbound_answer = std::function<void(bool ack)>;

class inbound_handler : public std::enable_shared_from_this<inbound_handler> {
 public:
  inbound_handler(kit::strand strand, const channel_config& cfg, std::shared_ptr<host_gate> host,
                  std::function<int64_t()> monotonic_ms);

  void set_bot_open_id(std::string id) { bot_open_id_ = std::move(id); }
  // `env` when the caller already parsed it (webhook); otherwise parsed from `payload`.
  void handle(const std::string& payload, std::optional<envelope> env,
              const inbound_answer& answer);

 private:
  bool seen(const std::string& key, int64_t now);
  void emit(const std::string& payload, const inbound_message& m, const std::string& event_key,
            const inbound_answer& answer);
  void log(pb_log_level l, const std::string& s);

  kit::strand strand_;
  const bool group_require_mention_;
  const bool text_edits_;  // render: text — every message narrows the edit budget to 20
  const int64_t ttl_ms_;
  std::shared_ptr<host_gate> host_;
  std::function<int64_t()> monotonic_ms_;
  std::string bot_open_id_;
  bounded_lru<int64_t> seen_;  // "e:<event_id>" / "m:<message_id>" → time acknowledged
};

}  // namespace patchbay::plugins::feishu_family
