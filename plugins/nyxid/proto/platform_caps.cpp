#include "nyxid/proto/platform_caps.hpp"

#include <cstring>

namespace patchbay::plugins::nyxid {

relay_platform parse_platform(std::string_view name) {
  char buf[16] = {};
  if (name.size() >= sizeof buf) return relay_platform::unknown;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  const std::string_view n(buf, name.size());
  if (n == "lark") return relay_platform::lark;
  if (n == "feishu") return relay_platform::feishu;
  if (n == "telegram") return relay_platform::telegram;
  if (n == "discord") return relay_platform::discord;
  if (n == "slack") return relay_platform::slack;
  if (n == "device") return relay_platform::device;
  return relay_platform::unknown;
}

const char* to_string(relay_platform p) {
  switch (p) {
    case relay_platform::unknown:
      return "unknown";
    case relay_platform::lark:
      return "lark";
    case relay_platform::feishu:
      return "feishu";
    case relay_platform::telegram:
      return "telegram";
    case relay_platform::discord:
      return "discord";
    case relay_platform::slack:
      return "slack";
    case relay_platform::device:
      return "device";
  }
  return "unknown";
}

bool can_edit(relay_platform p) { return p == relay_platform::lark || p == relay_platform::feishu; }

pb_capabilities platform_capabilities(relay_platform p) {
  pb_capabilities c;
  std::memset(&c, 0, sizeof c);
  c.struct_size = sizeof c;
  c.can_edit = can_edit(p) ? PB_YES : PB_NO;
  c.can_typing = PB_NO;
  c.can_ephemeral = PB_NO;
  // /reply carries text and (Lark) metadata.card only: no file or image (§2.2).
  c.can_attachments = PB_NO;
  c.reply_token = PB_REPLY_TOKEN_SINGLE_USE;
  switch (p) {
    case relay_platform::lark:
    case relay_platform::feishu:
      c.max_message_size = 30000;
      c.message_size_unit = PB_UNIT_CODEPOINTS;
      c.max_edits_per_message = 20;
      c.min_edit_interval_ms = 100;
      break;
    case relay_platform::telegram:
      c.max_message_size = 4096;
      c.message_size_unit = PB_UNIT_UTF16;
      break;
    case relay_platform::discord:
      c.max_message_size = 2000;
      c.message_size_unit = PB_UNIT_CODEPOINTS;
      break;
    case relay_platform::slack:
      c.max_message_size = 40000;
      c.message_size_unit = PB_UNIT_CODEPOINTS;
      break;
    case relay_platform::device:
    case relay_platform::unknown:
      break;
  }
  return c;
}

}  // namespace patchbay::plugins::nyxid
