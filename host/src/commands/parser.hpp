// Built-in chat commands: which inbound message is a command. Pure (no I/O); thread-safe.
//
// A command is the channel's prefix ("/" by default) followed at once by a configured name
// (ASCII case-insensitive; a "@botname" suffix and trailing arguments allowed), at the start of
// the text once the leading mentions of this bot are removed (groups: "@bot /stop"). Anything
// else — including an unknown "/foo" — is not a command and goes to the agent as normal text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "messages/messages.hpp"

namespace patchbay::commands {

enum class command { help, new_thread, stop, whoami, init, unbind };

struct parsed {
  command what = command::help;
  std::string args;  // the rest of the text, trimmed
};

// `text` without the leading mentions of this bot: "@<display name>", "@<user id>" of a mention
// with is_bot_self, and a platform placeholder ("@_user_1") when the message mentions this bot.
std::string_view strip_bot_mentions(std::string_view text,
                                    const std::vector<messages::mention>& mentions);

// The command `m` asks for, or nullopt. `identity`: the channel has identity bindings (else
// /init and /unbind are normal text). With `cfg.enabled` false only /init and /unbind remain.
std::optional<parsed> parse(const config::commands_config& cfg, bool identity,
                            const messages::inbound_message& m);

// The configured word of a command (without the prefix).
const std::string& name_of(const config::commands_config& cfg, command c);

}  // namespace patchbay::commands
