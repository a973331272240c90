// The Feishu channel plugin (China brand of the Feishu/Lark platform): see
// plugins/common/feishu_family for everything it shares with Lark.
#include "feishu_family/skeleton.hpp"

namespace {
using feishu_channel =
    patchbay::plugins::feishu_family::skeleton_channel<patchbay::plugins::feishu_family::feishu>;
}  // namespace

PATCHBAY_PLUGIN(feishu_channel, "feishu", PATCHBAY_PLUGIN_VERSION, "Feishu",
                "Feishu (open.feishu.cn) bots over the Open API",
                patchbay::plugins::feishu_family::capabilities())
