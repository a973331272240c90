// The Feishu channel plugin (China brand of the Feishu/Lark platform): websocket mode by default.
// Everything but the brand defaults lives in plugins/feishu_lark/channel (the channel) and
// plugins/feishu_lark/proto (the protocol), shared with the other brand.
#include "feishu_lark/channel/family_channel.hpp"
#include "feishu_lark/proto/brand.hpp"

namespace {
namespace family = patchbay::plugins::feishu_family;

class feishu_channel final : public family::family_channel {
 public:
  feishu_channel(patchbay::sdk::host h, patchbay::sdk::create_info info)
      : family_channel(
            h, info,
            {family::feishu_platform, family::feishu_domain, family::transport_mode::websocket}) {}
};

}  // namespace

PATCHBAY_PLUGIN(feishu_channel, "feishu", PATCHBAY_PLUGIN_VERSION, "Feishu",
                "Feishu (open.feishu.cn) bots: WebSocket long connection or webhooks, Open API "
                "replies and edits",
                family::capabilities())
