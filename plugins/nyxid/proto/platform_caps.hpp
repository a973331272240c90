// NyxID protocol: what one inbound message's platform allows behind the relay, as a per-message
// narrowing of the plugin's capabilities (pb_inbound_message.capabilities; docs/architecture.md
// §3).
//
//   lark / feishu  can edit (/reply/update → PUT/PATCH on Lark), 30000 code points per message,
//                  at most 20 edits (Lark 230072), 10 edits/s per message at NyxID (§4)
//   telegram       no edit through the relay (501 edit_unsupported), 4096 UTF-16 units
//   discord        no edit, 2000 code points; slack: no edit, 40000 code points (platform limits)
//   device         no edit; NyxID refuses replies on device channels (400, 10006)
//   unknown        no edit, no size narrowing
// Every platform: single-use reply tokens (§2.4), no typing, no ephemeral messages.
// The limits are the platforms' own (NyxID caps nothing, §4) and configurable by the plugin.
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "patchbay/pb_types.h"

namespace patchbay::plugins::nyxid {

enum class relay_platform { unknown, lark, feishu, telegram, discord, slack, device };

// Case-insensitive; unknown names map to `unknown`.
relay_platform parse_platform(std::string_view name);
const char* to_string(relay_platform p);

// True only for Lark/Feishu: the only adapters behind NyxID that implement edits (§2.3).
bool can_edit(relay_platform p);

pb_capabilities platform_capabilities(relay_platform p);

}  // namespace patchbay::plugins::nyxid
