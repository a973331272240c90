// Feishu and Lark are one protocol under two brands: same Open API paths, JSON shapes and
// WebSocket protocol; only the domain and defaults differ (shared/protocols/feishu-lark.md §1).
// Both plugins are built from this family code with their brand.
#pragma once

#include <string_view>

#include "patchbay/plugin.hpp"

namespace patchbay::plugins::feishu_family {

inline constexpr std::string_view feishu_platform = "Feishu";
inline constexpr std::string_view lark_platform = "Lark";

// What both brands can do (feishu-lark.md §3.5 and §5).
inline pb_capabilities capabilities() noexcept {
  pb_capabilities c = sdk::make_capabilities();
  // The platform limit is 150 KB of *request body*, not of text: the text travels JSON-encoded
  // twice (`content` is a string holding serialized JSON), so quotes, backslashes and control
  // characters grow on the wire, and UTF-8 spends up to 4 bytes per code point. 30000 code points
  // is at most 120 KB of raw UTF-8, which leaves the envelope and ordinary escaping inside 150 KB.
  c.max_message_size = 30000;
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_YES;  // text and post messages, with PUT (§3.5)
  c.can_typing = PB_NO;
  c.can_ephemeral = PB_NO;
  c.reply_token = PB_REPLY_TOKEN_NONE;  // replies are addressed by chat / message id
  // 5 QPS per recipient and per group (§5): two edits a second leaves room for new parts.
  c.min_edit_interval_ms = 500;
  c.max_edits_per_message = 20;  // error 230072 beyond that
  return c;
}

}  // namespace patchbay::plugins::feishu_family
