// The host's running channels: starts a configured channel on its plugin (load, create, start
// within a deadline), stops one or all of them (reverse start order), and keeps the status board,
// the turn service and the instance directory in step.
//
// A reload (app/reload.hpp) also stops single channels, checks a plugin before replacing a running
// channel, and changes the plugin directories and the start deadline.
//
// Thread safety: used from the host's control thread only (start-up, reloads, stop); the
// callbacks it installs on each instance run on runtime threads and only touch thread-safe
// objects.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "app/lease_keeper.hpp"
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
  // host.admission, shared by every channel's intake; null = no limit.
  std::shared_ptr<plugin::admission_gate> admission = nullptr;
  // Single-consumer channels (pb_capabilities.single_consumer) run only while this replica holds
  // their lease; null = no leases (every channel starts at once, e.g. in tests).
  lease_keeper* leases = nullptr;
  state::replica_self self;  // this replica, for the fences of leased channels
  // Hands a lease change to the control thread, which calls on_lease (a running instance whose
  // state write was refused for a lost lease reports it this way, from any thread).
  std::function<void(lease_change)> post_lease_change;
};

class channel_set {
 public:
  channel_set(channel_set_deps deps, std::vector<std::string> plugin_dirs,
              std::chrono::milliseconds start_timeout);

  // Starts an enabled channel. Returns true if it runs (or is still starting past the deadline
  // and is owned here, or waits for its lease: a single-consumer channel starts when this
  // replica holds its lease, see on_lease); false if its plugin was refused or its start failed
  // (logged, on the board).
  bool start(const config::channel_config& ch);
  // A lease change reported by the lease keeper: a lease gained starts its channel (after reading
  // the instance's state afresh, with writes fenced by the token); a lease lost stops it at once
  // and shows it as standby.
  // A loss with a token stops the channel only if it runs with that token (a late report of an
  // instance already replaced is ignored); token 0 stops it whatever it runs with.
  void on_lease(const lease_change& change);
  // Stops every channel in reverse start order, within `budget` altogether.
  void stop_all(std::chrono::milliseconds budget);
  std::size_t size() const { return started_.size(); }
  // Leased channels no lease change has been reported for yet (start-up waits for them).
  std::size_t leases_unsettled() const { return leased_.size() - settled_.size(); }

  // Whether channel `id` runs here (started, or still starting past its deadline).
  bool running(const std::string& id) const;
  // Stops channel `id` (if it runs here) within `budget`, marks it stopped on the board and takes
  // its instance out of the turn service and the instance directory (the id stays expected there:
  // a reload that removes the channel removes it).
  void stop(const std::string& id, std::chrono::milliseconds budget);
  // Loads (or finds) the plugin `ch` names without starting anything.
  plugin::load_outcome check_plugin(const config::channel_config& ch) {
    return loader_.load(ch.plugin);
  }
  void set_plugin_dirs(std::vector<std::string> dirs) { loader_.set_dirs(std::move(dirs)); }
  void set_start_timeout(std::chrono::milliseconds t) { start_timeout_ = t; }

 private:
  bool start_instance(const config::channel_config& ch,
                      const std::shared_ptr<const plugin::plugin_module>& module,
                      std::optional<state::fence> fence);
  void want_leases();
  void mark_attempt(const std::string& id, plugin::channel_state state, const std::string& reason);
  // Stops channel `id` if it runs here, leaving its lease wanted.
  void stop_running(const std::string& id, std::chrono::milliseconds budget);
  void stop_one(plugin::channel_instance& inst, std::chrono::milliseconds deadline);
  void on_status(const std::string& id, const pb_status& st);

  channel_set_deps deps_;
  plugin::loader loader_;
  std::chrono::milliseconds start_timeout_;
  std::vector<std::shared_ptr<plugin::channel_instance>> started_;
  // Single-consumer channels this replica wants to run under a lease, with their config.
  std::map<std::string, config::channel_config> leased_;
  std::map<std::string, int64_t> fence_tokens_;  // leased channels running here: their token
  std::set<std::string> settled_;                // leased channels a lease change was reported for
};

}  // namespace patchbay::app
