// Reloading the configuration while the host runs (docs/architecture.md §12). SIGHUP and
// `POST /v1/reload` only post a request; the host's control thread (the one in host_app::run,
// never an io thread) runs it: re-reads the file, refuses it whole when it does not validate
// (the running configuration stays), else applies the difference (config/diff.hpp):
//  - removed channels stop gracefully (in reverse order) and leave the status board and the
//    instance directory (/hooks/<id> answers 404);
//  - changed channels restart with their new entry. When a running channel's new plugin is
//    refused (missing, incomplete, or a loaded file that was replaced), the old instance keeps
//    running on its old entry and the channel is reported `kept`;
//  - added channels start and appear on the board; enabled channels that are not running (their
//    plugin was refused or failed earlier) are tried again (`retried`);
//  - unchanged channels are not touched: their connections and turns keep going;
//  - agents are applied by the turn service (new turns use new and changed agents, running turns
//    finish on the old backend);
//  - live host settings (log level, shutdown budget, plugin directories) apply; the others are
//    reported as needing a restart, and keep being reported until the host restarts.
//
// Thread safety: a reloader is used from the control thread only.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "app/channel_set.hpp"
#include "config/config.hpp"
#include "config/diff.hpp"
#include "plugin/channel_status.hpp"
#include "plugin/instance_directory.hpp"
#include "turns/turn_service.hpp"

namespace patchbay::app {

struct reload_outcome {
  enum class result { applied, invalid, stopping, busy };
  result status = result::applied;
  std::vector<std::string> errors;   // invalid: "file:line:col: path: message" (no secret values)
  config::config_diff diff;          // applied: what changed (channels_changed = restarted)
  std::vector<std::string> retried;  // unchanged, enabled, not running before: started again
  // Changed channels left running on their old entry, with why the new one was refused.
  std::vector<std::pair<std::string, std::string>> kept;
  // Channels that should run after the reload but do not, with the reason (plugin refused,
  // start failed).
  std::vector<std::pair<std::string, std::string>> failed;

  unsigned http_status() const;  // 200 applied, 422 invalid, 503 stopping, 429 busy
  std::string to_json() const;   // the answer of POST /v1/reload
  std::string summary() const;   // one line for the log and systemd's STATUS=
};

class reloader {
 public:
  // `running`: the configuration the host runs now (updated by each applied reload).
  reloader(config::config& running, channel_set& channels, plugin::status_board& board,
           turns::turn_service& turns, plugin::instance_directory& directory);

  // Re-reads running.file and applies it.
  reload_outcome reload_file();
  // Applies `next` (already validated).
  reload_outcome apply(config::config next);
  // Called with each configuration applied, before its channels (re)start (the access gate).
  std::function<void(const config::config&)> on_apply;

 private:
  void stop_channels(const std::vector<std::string>& ids);
  void refresh_board(const config::config& next, const config::config_diff& d);

  config::config& running_;
  channel_set& channels_;
  plugin::status_board& board_;
  turns::turn_service& turns_;
  plugin::instance_directory& directory_;
};

// The board entry of a configured channel before it starts.
plugin::channel_status initial_status(const config::channel_config& ch);

}  // namespace patchbay::app
