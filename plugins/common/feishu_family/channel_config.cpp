// STUB (being written): see channel_config.hpp.
#include "feishu_family/channel_config.hpp"

#include <stdexcept>

namespace patchbay::plugins::feishu_family {

const char* to_string(transport_mode m) { return m == transport_mode::webhook ? "webhook" : "websocket"; }

channel_config parse_channel_config(std::string_view, const brand_defaults&) {
  throw std::invalid_argument("config parsing not implemented yet");
}

}  // namespace patchbay::plugins::feishu_family
