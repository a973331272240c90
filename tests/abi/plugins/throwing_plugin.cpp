// A C++ test plugin ("thrower") whose code throws where its config says; the SDK barrier must turn
// every throw into an error value. "throw_in": "create" | "start" | "ops".
#include <stdexcept>
#include <string>

#include "patchbay/plugin.hpp"

namespace {
using namespace patchbay::sdk;

class throwing_channel final : public channel {
 public:
  throwing_channel(patchbay::sdk::host h, create_info info) : channel(h), cfg_(info.config_json) {
    if (has("create")) throw std::runtime_error("boom in create");
  }
  void start() override {
    if (has("start")) throw std::logic_error("boom in start");
    host().report_status(PB_STATE_CONNECTED);
  }
  void stop(std::chrono::milliseconds, stop_completion) override {
    throw std::runtime_error("boom in stop");  // the barrier still completes stop
  }
  void send(const pb_outbound_message&, completion) override { throw 42; }  // not a std::exception
  void edit(const pb_edit_request&, completion) override {
    throw plugin_error(PB_ERR_NOT_FOUND, "message gone");
  }

 private:
  bool has(const char* where) const {
    return cfg_.find(std::string("\"throw_in\":\"") + where + "\"") != std::string::npos;
  }
  std::string cfg_;
};

pb_capabilities caps() {
  auto c = make_capabilities();
  c.max_message_size = 100;
  c.message_size_unit = PB_UNIT_BYTES;
  return c;
}

}  // namespace

PATCHBAY_PLUGIN(throwing_channel, "thrower", "0.0.1", "Test", "throws everywhere", caps())
