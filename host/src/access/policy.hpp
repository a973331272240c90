// Who may talk to the bot on a channel: the one precedence rule of docs/architecture.md "Access
// control", as pure functions over a channel's `access:` config (config::access_config).
//
//   explicit deny > allowlist > approved pairing > policy default
//
// A DM policy of `disabled` switches direct messages off before the rule is asked. Groups are
// admitted by conversation id, then need an @mention of this bot (when configured). Pure; no
// clock, no store.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "messages/messages.hpp"

namespace patchbay::access {

enum class decision {
  admit,          // a turn as usual
  denied,         // the sender is on the deny list
  stranger,       // allowlist policy and the sender is unknown: dropped silently
  needs_pairing,  // pairing policy and the sender is unknown: a pairing code answers
  dms_disabled,   // dm: disabled
  group_refused,  // a group not on groups.allow
  not_mentioned,  // a group message that does not @mention this bot (normal chatter)
};
const char* to_string(decision d);

// True when `list` holds `id` or the wildcard "*".
bool listed(const std::vector<std::string>& list, std::string_view id);

// A direct message from `sender`; `approved`: the sender holds an approved pairing.
decision decide_dm(const config::access_config& cfg, std::string_view sender, bool approved);

// A group (or group thread) message: deny list, then groups.allow, then the mention rule.
decision decide_group(const config::access_config& cfg, const messages::inbound_message& m);

// The message addresses this bot: a mention with is_bot_self, or (with `mention_all`) an @all
// mention (the plugin reports it as a mention with user_id "all").
bool mentions_this_bot(const messages::inbound_message& m, bool mention_all);

// Group kinds are PB_CONVERSATION_GROUP and PB_CONVERSATION_THREAD; anything else is a DM.
bool is_group(const messages::inbound_message& m);

// The configuration's explicit wildcards, one warning text each ("" = none).
std::vector<std::string> wildcard_warnings(const config::channel_config& ch);

}  // namespace patchbay::access
