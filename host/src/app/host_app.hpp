// The patchbay host process: state store, plugin channels, HTTP API, signal-driven graceful stop.
//
// run() blocks the calling thread (never an io thread) until stop is requested (SIGINT/SIGTERM or
// request_stop()), then stops channels in reverse start order within host.shutdown_timeout_ms.
// Meanwhile that thread (the control thread) runs the reloads SIGHUP and POST /v1/reload ask for
// (app/reload.hpp), and tells systemd about start-up, reloads and stop (app/sd_notify.hpp).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace patchbay::app {

// Plugin directories searched, in order: the config's, then $PATCHBAY_PLUGIN_PATH (':'-separated),
// then <exe dir>/../<libdir>/patchbay/plugins (installed, wherever the prefix is), then
// <exe dir>/../plugins (build tree), then the compiled-in default.
std::vector<std::string> plugin_search_path(const std::vector<std::string>& configured);

class host_app {
 public:
  explicit host_app(config::config cfg);
  ~host_app();

  // Returns the process exit code: 0 after a clean stop, 1 if start-up failed.
  int run();
  // Thread-safe; may be called before run() has finished starting.
  void request_stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace patchbay::app
