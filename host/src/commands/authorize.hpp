// Built-in chat commands: who may do what. Pure; thread-safe.
//
//  - Anyone may ask /help, /whoami and /new (for the conversation they write in).
//  - /stop ends a running turn only for the person whose message started it, or an admin
//    (`commands.admins` of the channel: sender ids as /whoami shows them).
#pragma once

#include <algorithm>
#include <string>

#include "config/config.hpp"

namespace patchbay::commands {

inline bool is_admin(const config::commands_config& cfg, const std::string& sender) {
  return !sender.empty() &&
         std::find(cfg.admins.begin(), cfg.admins.end(), sender) != cfg.admins.end();
}

// May `asker` stop a turn started by `turn_sender`?
inline bool may_stop(const config::commands_config& cfg, const std::string& asker,
                     const std::string& turn_sender) {
  return (!asker.empty() && asker == turn_sender) || is_admin(cfg, asker);
}

}  // namespace patchbay::commands
