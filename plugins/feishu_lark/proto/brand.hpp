// Feishu and Lark are one protocol under two brands: same Open API paths, JSON shapes and
// WebSocket protocol; only the domain and defaults differ (docs/protocols/feishu-lark.md §1).
// Both plugins are built from this family code with their brand.
#pragma once

#include <string>
#include <string_view>

#include "patchbay/plugin.hpp"

namespace patchbay::plugins::feishu_family {

inline constexpr std::string_view feishu_platform = "Feishu";
inline constexpr std::string_view lark_platform = "Lark";

// Open API base URLs (§1); the WS endpoint is discovered from them.
inline constexpr std::string_view feishu_domain = "https://open.feishu.cn";
inline constexpr std::string_view lark_domain = "https://open.larksuite.com";

// A configured domain: "feishu" / "lark" name the public ones, anything else is a base URL of a
// private deployment (or a fake server) used as given, trailing slashes removed.
inline std::string resolve_domain(std::string_view configured) {
  if (configured == "feishu") return std::string(feishu_domain);
  if (configured == "lark") return std::string(lark_domain);
  while (!configured.empty() && configured.back() == '/') configured.remove_suffix(1);
  return std::string(configured);
}

// App ids are "cli_" + 16 hex digits (node-sdk refuses to start otherwise): checked at start so a
// typo is reported as a configuration error, not as an endless discovery failure.
inline bool valid_app_id(std::string_view id) {
  if (id.size() != 20 || id.substr(0, 4) != "cli_") return false;
  for (char c : id.substr(4))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

// A text message takes at most 20 edits (error 230072 beyond that, §3.5).
inline constexpr uint32_t text_max_edits = 20;

// What both brands can do (docs/protocols/feishu-lark.md §3.5 and §5).
inline pb_capabilities capabilities() noexcept {
  pb_capabilities c = sdk::make_capabilities();
  // The platform limit is 150 KB of *request body*, not of text: the text travels JSON-encoded
  // twice (`content` is a string holding serialized JSON), so quotes, backslashes and control
  // characters grow on the wire, and UTF-8 spends up to 4 bytes per code point. 30000 code points
  // is at most 120 KB of raw UTF-8, which leaves the envelope and ordinary escaping inside 150 KB.
  c.max_message_size = 30000;
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_YES;    // text and post messages, with PUT (§3.5)
  c.can_typing = PB_YES;  // a "Typing" reaction on the user's message (§3.8)
  c.can_ephemeral = PB_NO;
  c.reply_token = PB_REPLY_TOKEN_NONE;  // replies are addressed by chat / message id
  // 5 QPS per recipient and per group (§5): two edits a second leaves room for new parts.
  c.min_edit_interval_ms = 500;
  // A streamed answer is a CardKit card (render: card, §3.8) whose updates have no count cap;
  // with render: text every inbound message narrows this to text_max_edits.
  c.max_edits_per_message = 0;
  // Images (≤ 10 MiB, else sent as files) and files up to 30 MiB (media.hpp).
  c.can_attachments = PB_YES;
  c.max_attachment_size = uint64_t{30} << 20;
  return c;
}

}  // namespace patchbay::plugins::feishu_family
