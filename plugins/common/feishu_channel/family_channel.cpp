// STUB (being written): see family_channel.hpp.
#include "feishu_channel/family_channel.hpp"

#include <stdexcept>

namespace patchbay::plugins::feishu_family {

struct family_channel::impl {};

family_channel::family_channel(sdk::host h, sdk::create_info info, const brand_defaults& brand)
    : channel(h) {
  try {
    (void)parse_channel_config(info.config_json, brand);
  } catch (const std::invalid_argument& e) {
    throw sdk::plugin_error(PB_ERR_INVALID_INPUT, std::string(brand.platform) + " config: " + e.what());
  }
}
family_channel::~family_channel() = default;
void family_channel::start() {}
void family_channel::stop(std::chrono::milliseconds, sdk::stop_completion done) { done(); }
void family_channel::send(const pb_outbound_message&, sdk::completion done) {
  done.fail(PB_ERR_UNSUPPORTED, "not implemented yet");
}
void family_channel::edit(const pb_edit_request&, sdk::completion done) {
  done.fail(PB_ERR_UNSUPPORTED, "not implemented yet");
}
void family_channel::on_http(const sdk::http_request&, sdk::http_responder respond) {
  respond.respond(404, "{}");
}

}  // namespace patchbay::plugins::feishu_family
