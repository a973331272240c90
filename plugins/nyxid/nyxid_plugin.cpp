// The NyxID channel plugin: a relay that fronts several chat platforms
// (shared/protocols/nyxid-relay.md). Until the transport lands it is a
// placeholder channel (plugins/common/placeholder_channel.hpp).
//
// Thread safety: starts no thread; the host serializes calls per instance.
#include "placeholder_channel.hpp"

namespace {

namespace sdk = patchbay::sdk;

// Plugin-wide values; each inbound message narrows them for the platform behind it (only
// Lark/Feishu can edit through the relay, others answer 501; the text limit is the platform's).
pb_capabilities nyxid_capabilities() noexcept {
  pb_capabilities c = sdk::make_capabilities();
  c.max_message_size = 0;  // the relay has no cap of its own (§4): narrowed per message
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_YES;
  c.can_typing = PB_NO;
  c.can_ephemeral = PB_NO;
  // The reply JWT's jti is consumed by the first /reply, even one that then fails (§2.2);
  // edits reuse it without consuming it.
  c.reply_token = PB_REPLY_TOKEN_SINGLE_USE;
  c.min_edit_interval_ms = 100;  // 10 edits/s per message id, burst 20 (§4)
  return c;
}

constexpr std::string_view platform = "NyxID";
using nyxid_channel = patchbay::plugins::placeholder_channel<platform>;

}  // namespace

PATCHBAY_PLUGIN(nyxid_channel, "nyxid", PATCHBAY_PLUGIN_VERSION, "NyxID",
                "Chat platforms relayed by NyxID channel-relay", nyxid_capabilities())
