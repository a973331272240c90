// The Lark channel plugin (international brand of the Feishu/Lark platform): webhook mode by
// default. Everything but the brand defaults lives in plugins/feishu_lark/channel (the channel) and
// plugins/feishu_lark/proto (the protocol), shared with the other brand.
#include "feishu_lark/channel/family_channel.hpp"
#include "feishu_lark/proto/brand.hpp"

namespace {
namespace family = patchbay::plugins::feishu_family;

class lark_channel final : public family::family_channel {
 public:
  lark_channel(patchbay::sdk::host h, patchbay::sdk::create_info info)
      : family_channel(
            h, info,
            {family::lark_platform, family::lark_domain, family::transport_mode::webhook}) {}
};

}  // namespace

PATCHBAY_PLUGIN(lark_channel, "lark", PATCHBAY_PLUGIN_VERSION, "Lark",
                "Lark (open.larksuite.com) bots: webhooks or WebSocket long connection, Open API "
                "replies and edits",
                family::capabilities())
