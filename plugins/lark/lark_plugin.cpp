// The Lark channel plugin (international brand of the Feishu/Lark platform): see
// plugins/common/feishu_family for everything it shares with Feishu.
#include "feishu_family/skeleton.hpp"

namespace {
using lark_channel =
    patchbay::plugins::feishu_family::skeleton_channel<patchbay::plugins::feishu_family::lark>;
}  // namespace

PATCHBAY_PLUGIN(lark_channel, "lark", PATCHBAY_PLUGIN_VERSION, "Lark",
                "Lark (open.larksuite.com) bots over the Open API",
                patchbay::plugins::feishu_family::capabilities())
