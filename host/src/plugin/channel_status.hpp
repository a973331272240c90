// What the host knows about each configured channel: plugin, lifecycle, the latest status the
// plugin reported, counters. Thread-safe; read by the HTTP API and `patchbay status`.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace patchbay::plugin {

// A channel's lifecycle as the host sees it: the states a plugin reports (pb_channel_state) plus
// the host's own (pending: not started yet; refused: its plugin could not be loaded or created;
// disabled: `enabled: false` in the config). Strings only at the edges (JSON, metrics, logs).
enum class channel_state {
  pending,
  starting,
  connected,
  reconnecting,
  degraded,
  failed,
  stopped,
  refused,
  disabled,
  unknown,  // a pb_channel_state value this host does not know (a newer plugin)
};

// "connected", ...
const char* to_string(channel_state s);
// The host's state for a pb_channel_state value reported by a plugin.
channel_state from_pb_state(int32_t pb_state);

struct channel_status {
  std::string id, plugin, plugin_version, platform;
  bool enabled = true;
  channel_state state = channel_state::pending;
  uint32_t attempt = 0;
  int64_t next_attempt_unix_ms = 0;
  std::string reason;
  int64_t since_unix_ms = 0;  // when `state` last changed
  bool start_attempted = false;
  bool started = false;       // start() succeeded and the channel has not been stopped
  std::string agent;          // the agent answering this channel's turns
  std::string agent_problem;  // that agent's health problem ("" = healthy), e.g. a crash loop
  uint64_t inbound_accepted = 0, inbound_duplicates = 0, inbound_refused = 0;
};

class status_board {
 public:
  void add(channel_status st);
  // Applies `fn` to the channel's entry under the lock; unknown ids are ignored.
  void update(const std::string& id, const std::function<void(channel_status&)>& fn);
  std::vector<channel_status> snapshot() const;
  // Ready when start-up finished and every enabled channel started. `why` lists the others.
  bool ready(std::string* why) const;
  void set_startup_complete(bool v);
  std::string to_json() const;  // {"channels":[{...}]}

 private:
  mutable std::mutex mu_;
  std::vector<channel_status> channels_;
  bool startup_complete_ = false;
};

}  // namespace patchbay::plugin
