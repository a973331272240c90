// The Weixin (WeChat) channel plugin, speaking the iLink bot protocol
// (shared/protocols/weixin-ilink.md). Until the transport lands it is a
// placeholder channel (plugins/common/placeholder_channel.hpp).
//
// Thread safety: starts no thread; the host serializes calls per instance.
#include "placeholder_channel.hpp"

namespace {

namespace sdk = patchbay::sdk;

pb_capabilities weixin_capabilities() noexcept {
  pb_capabilities c = sdk::make_capabilities();
  // The server limit is undocumented: 2.4 k to 7 k characters reported as the failure point
  // (weixin-ilink.md §6), so stay conservatively below every report.
  c.max_message_size = 2000;
  c.message_size_unit = PB_UNIT_CODEPOINTS;
  c.can_edit = PB_NO;  // iLink has no edit: every update is a new message
  c.can_typing = PB_YES;  // getconfig typing_ticket + sendtyping (§4.2)
  c.can_ephemeral = PB_NO;
  // The inbound context_token accompanies every reply of the turn (§2.3, §4.1).
  c.reply_token = PB_REPLY_TOKEN_REUSABLE;
  return c;
}

constexpr std::string_view platform = "Weixin";
using weixin_channel = patchbay::plugins::placeholder_channel<platform>;

}  // namespace

PATCHBAY_PLUGIN(weixin_channel, "weixin", PATCHBAY_PLUGIN_VERSION, "Weixin",
                "WeChat bots over the iLink bot API", weixin_capabilities())
