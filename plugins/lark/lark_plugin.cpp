// The Lark channel plugin (international brand of the Feishu/Lark platform): see
// plugins/common/feishu_family for everything it shares with Feishu.
#include "feishu_family/brand.hpp"
#include "placeholder_channel.hpp"

namespace {
namespace family = patchbay::plugins::feishu_family;
using lark_channel = patchbay::plugins::placeholder_channel<family::lark_platform>;
}  // namespace

PATCHBAY_PLUGIN(lark_channel, "lark", PATCHBAY_PLUGIN_VERSION, "Lark",
                "Lark (open.larksuite.com) bots over the Open API", family::capabilities())
