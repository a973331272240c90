// The host's running channels: starts a configured channel on its plugin (load, create, start
// within a deadline), stops one or all of them (reverse start order), and keeps the status board,
// the turn service and the instance directory in step.
//
// Thread safety: used from the host's control thread only (start-up, stop); the callbacks it
// installs on each instance run on runtime threads and only touch thread-safe objects.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "metrics/registry.hpp"
#include "patchbay/kit/runtime.hpp"
#include "plugin/channel_instance.hpp"
#include "plugin/channel_status.hpp"
#include "plugin/instance_directory.hpp"
#include "plugin/loader.hpp"
#include "state/store.hpp"
#include "turns/turn_service.hpp"

namespace patchbay::app {

struct channel_set_deps {
  kit::io_runtime& rt;
  state::store& store;
  plugin::status_board& board;
  turns::turn_service& turns;
  plugin::instance_directory& directory;
  metrics::registry* metrics = nullptr;  // per-channel counters; null = not counted
};

class channel_set {
 public:
  channel_set(channel_set_deps deps, std::vector<std::string> plugin_dirs,
              std::chrono::milliseconds start_timeout);

  // Starts an enabled channel. Returns true if it runs (or is still starting past the deadline
  // and is owned here); false if its plugin was refused or its start failed (logged, on the
  // board).
  bool start(const config::channel_config& ch);
  // Stops every channel in reverse start order, within `budget` altogether.
  void stop_all(std::chrono::milliseconds budget);
  std::size_t size() const { return started_.size(); }

 private:
  void stop_one(plugin::channel_instance& inst, std::chrono::milliseconds deadline);
  void on_status(const std::string& id, const pb_status& st);

  channel_set_deps deps_;
  plugin::loader loader_;
  std::chrono::milliseconds start_timeout_;
  std::vector<std::shared_ptr<plugin::channel_instance>> started_;
};

}  // namespace patchbay::app
