// STUB (being written): see ws_supervisor.hpp.
#include "feishu_channel/ws_supervisor.hpp"

namespace patchbay::plugins::feishu_family {

std::shared_ptr<ws_supervisor> make_ws_supervisor(kit::io_runtime&, kit::strand,
                                                  const channel_config&, ws_hooks) {
  return nullptr;
}

}  // namespace patchbay::plugins::feishu_family
