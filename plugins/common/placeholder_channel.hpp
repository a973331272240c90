// A channel whose transport is not implemented yet: validates that its config is a JSON object
// (never echoing values: configs hold secrets), reports `degraded` with a reason, and completes
// every operation with PB_ERR_UNSUPPORTED. Each shipped plugin uses it until its transport lands.
//
// Thread safety: starts no thread; the host serializes calls per instance.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "patchbay/plugin.hpp"

namespace patchbay::plugins {

template <const std::string_view& Platform>
class placeholder_channel final : public sdk::channel {
 public:
  placeholder_channel(sdk::host h, sdk::create_info info) : channel(h) {
    boost::json::error_code ec;
    boost::json::value cfg = boost::json::parse(info.config_json, ec);
    if (ec || !cfg.is_object())
      throw sdk::plugin_error(PB_ERR_INVALID_INPUT, "config must be a JSON object");
  }

  void start() override {
    host().report_status(PB_STATE_DEGRADED, std::string(Platform) + " transport not implemented yet");
  }
  void stop(std::chrono::milliseconds, sdk::stop_completion done) override {
    host().report_status(PB_STATE_STOPPED);
    done();
  }
  void send(const pb_outbound_message&, sdk::completion done) override { unsupported("send", done); }
  void edit(const pb_edit_request&, sdk::completion done) override { unsupported("edit", done); }
  void typing(const pb_typing_request&, sdk::completion done) override {
    unsupported("typing", done);
  }

 private:
  static void unsupported(const char* what, const sdk::completion& done) {
    done.fail(PB_ERR_UNSUPPORTED, std::string(Platform) + " " + what + " not implemented yet");
  }
};

}  // namespace patchbay::plugins
