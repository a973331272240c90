// The host's channel health watch: once a second it reads the status board and logs what
// plugin::health_reporter decides (channel_health.hpp): a `connected` report the evidence
// contradicts (warning, also kept as the channel's last error), and every failing channel at
// error level at least once per host.health.report_interval_ms. A timer on the runtime (no thread
// of its own); stop() or the destructor cancels it.
#pragma once

#include <chrono>
#include <memory>

#include "config/config.hpp"
#include "patchbay/kit/runtime.hpp"
#include "plugin/channel_status.hpp"

namespace patchbay::app {

class health_watch {
 public:
  health_watch(kit::io_runtime& rt, plugin::status_board& board, const config::health_config& cfg,
               std::chrono::milliseconds tick = std::chrono::seconds(1));
  ~health_watch();
  health_watch(const health_watch&) = delete;
  health_watch& operator=(const health_watch&) = delete;

  void stop();

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace patchbay::app
