// Options of the `process` agent (agents.<name> in the config, handed over as JSON):
//
//   command: [python3, bot.py]   # argv list, or one program (path or name looked up in PATH)
//   args: [--model, small]       # appended to command
//   env: { BOT_MODE: fast }      # added to the host's environment (values may be secrets)
//   cwd: /srv/bot                # working directory (relative program paths resolve there)
//   restart_backoff: { initial_ms: 1000, cap_ms: 60000, factor: 2.0, jitter: 0.2,
//                      reset_after_ms: 30000 }  # a process up this long resets the backoff
//   crash_loop: { restarts: 5, window_ms: 60000 }  # this many deaths within the window →
//                                                   # "crash loop: ..." in the agent's health
//   max_in_flight: 64            # turns in progress on the process at once
//   max_line_bytes: 1048576      # longer stdout/stderr lines are dropped (and logged)
//   stop_grace_ms: 2000          # deliberate stop: SIGTERM, then SIGKILL after this
//   send_cancel: true            # write {"turn": id, "cancel": true} when the host gives up
//
// Pure parsing, no I/O; errors name the option, never its value.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "patchbay/common/backoff.hpp"

namespace patchbay::agents {

struct process_options {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;
  common::backoff_policy backoff{std::chrono::milliseconds(1'000), 2.0,
                                 std::chrono::milliseconds(60'000), 0.2};
  std::chrono::milliseconds reset_after{30'000};
  int crash_loop_restarts = 5;
  std::chrono::milliseconds crash_loop_window{60'000};
  std::size_t max_in_flight = 64;
  std::size_t max_line_bytes = 1 << 20;
  std::chrono::milliseconds stop_grace{2'000};
  bool send_cancel = true;
};

// On bad options sets `error` (operator-facing, names the option) and returns what it read.
process_options parse_process_options(std::string_view options_json, std::string& error);

}  // namespace patchbay::agents
