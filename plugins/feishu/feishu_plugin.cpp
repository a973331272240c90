// The Feishu channel plugin (China brand of the Feishu/Lark platform): see
// plugins/common/feishu_family for everything it shares with Lark.
#include "feishu_family/brand.hpp"
#include "placeholder_channel.hpp"

namespace {
namespace family = patchbay::plugins::feishu_family;
using feishu_channel = patchbay::plugins::placeholder_channel<family::feishu_platform>;
}  // namespace

PATCHBAY_PLUGIN(feishu_channel, "feishu", PATCHBAY_PLUGIN_VERSION, "Feishu",
                "Feishu (open.feishu.cn) bots over the Open API", family::capabilities())
