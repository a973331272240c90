#include "access/policy.hpp"

#include <algorithm>

#include "patchbay/pb_messages.h"

namespace patchbay::access {

const char* to_string(decision d) {
  switch (d) {
    case decision::admit:
      return "admitted";
    case decision::denied:
      return "sender denied";
    case decision::stranger:
      return "sender not allowed";
    case decision::needs_pairing:
      return "sender not paired";
    case decision::dms_disabled:
      return "direct messages disabled";
    case decision::group_refused:
      return "group not allowed";
    case decision::not_mentioned:
      return "bot not mentioned";
  }
  return "?";
}

bool listed(const std::vector<std::string>& list, std::string_view id) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& e) { return e == "*" || (!id.empty() && e == id); });
}

decision decide_dm(const config::access_config& cfg, std::string_view sender, bool approved) {
  if (cfg.dm == config::dm_policy::disabled) return decision::dms_disabled;
  if (listed(cfg.deny, sender)) return decision::denied;
  if (listed(cfg.allow, sender)) return decision::admit;
  if (approved) return decision::admit;
  switch (cfg.dm) {
    case config::dm_policy::open:
      return decision::admit;
    case config::dm_policy::pairing:
      return decision::needs_pairing;
    default:
      return decision::stranger;
  }
}

bool is_group(const messages::inbound_message& m) {
  return m.conversation_kind == PB_CONVERSATION_GROUP ||
         m.conversation_kind == PB_CONVERSATION_THREAD;
}

bool mentions_this_bot(const messages::inbound_message& m, bool mention_all) {
  return std::any_of(m.mentions.begin(), m.mentions.end(), [&](const messages::mention& x) {
    return x.is_bot_self == PB_YES || (mention_all && x.user_id == "all");
  });
}

decision decide_group(const config::access_config& cfg, const messages::inbound_message& m) {
  if (listed(cfg.deny, m.sender_id)) return decision::denied;
  if (!listed(cfg.groups.allow, m.conversation_id)) return decision::group_refused;
  if (cfg.groups.require_mention && !mentions_this_bot(m, cfg.groups.mention_all))
    return decision::not_mentioned;
  return decision::admit;
}

std::vector<std::string> wildcard_warnings(const config::channel_config& ch) {
  std::vector<std::string> out;
  const auto has_star = [](const std::vector<std::string>& l) {
    return std::find(l.begin(), l.end(), "*") != l.end();
  };
  if (has_star(ch.access.allow))
    out.emplace_back("access.allow contains '*': every sender may talk to the bot in DMs");
  if (has_star(ch.access.groups.allow))
    out.emplace_back("access.groups.allow contains '*': the bot answers in every group");
  if (has_star(ch.access.deny))
    out.emplace_back("access.deny contains '*': nobody may talk to the bot");
  if (ch.access.dm == config::dm_policy::open)
    out.emplace_back("access.dm is 'open': every sender may talk to the bot in DMs");
  return out;
}

}  // namespace patchbay::access
