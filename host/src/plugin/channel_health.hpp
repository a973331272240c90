// The host's rules for channel health, as pure functions of a channel's status and the time:
//
//   assess()    what a channel's state honestly is, given what its plugin reported and the
//               evidence the host gathered (the watchdog rule and the credentials rule);
//   evaluate()  the verdict of GET /healthz/channels: every enabled channel not `connected` for
//               longer than the grace is unhealthy;
//   health_reporter  which log lines the health watch writes: a transition the evidence caused
//               (warn), and every failing channel at error level at least once per interval.
//
// No clock, no lock, no I/O: the callers pass the time (tests pass any they like).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "plugin/channel_status.hpp"

namespace patchbay::plugin {

struct assessment {
  channel_state state = channel_state::pending;
  std::string reason;
  int64_t since_unix_ms = 0;
  bool overridden = false;  // the evidence contradicts the reported state
};

// The rules, applied only to a channel its plugin reports `connected` (any other report is
// already a problem and stays as reported):
//   1. credentials: an outbound send/edit/typing failed with PB_ERR_AUTH and none has succeeded
//      since → `degraded`, "platform refuses our credentials: <the error>", since that failure;
//   2. watchdog: the plugin declared a liveness window (ABI minor 2) and nothing proved the
//      connection alive within it → `degraded`, "no sign of life for N s (...)", since the
//      window ran out. Proofs are: a liveness report, an accepted inbound event, and the
//      `connected` report itself. A plugin that never declared a window is trusted.
assessment assess(const channel_status& c, int64_t now_unix_ms);

struct channel_verdict {
  std::string id;
  channel_state state = channel_state::pending;
  std::string reason;
  int64_t state_for_ms = 0;  // in this state for
  int64_t down_for_ms = 0;   // not connected for (0 while connected)
  bool enabled = true;
  bool healthy = true;
};

struct health_verdict {
  bool healthy = true;
  std::vector<channel_verdict> channels;  // every configured channel, in order
  std::vector<std::string> unhealthy;     // ids of the enabled channels down past the grace
};

// `assessed`: status_board::snapshot(). An enabled channel is unhealthy when it has not been
// `connected` for longer than `grace_ms`; a disabled one never is.
health_verdict evaluate(const std::vector<channel_status>& assessed, int64_t now_unix_ms,
                        int64_t grace_ms);

struct health_log_line {
  bool error = false;  // else warning
  std::string text;
  std::string channel;
  std::string new_problem;  // set when the evidence just overrode a report: the channel's reason
};

// Decides what the health watch logs. Fed a snapshot on every tick (any period shorter than the
// interval). Writes one line when the evidence turns a `connected` report into `degraded` (and
// when the channel recovers), and, for a failing channel (`failed`, or not connected past the
// grace), an error line when it starts failing and again each `interval_ms` while it keeps
// failing: never quiet.
class health_reporter {
 public:
  health_reporter(int64_t grace_ms, int64_t interval_ms)
      : grace_ms_(grace_ms), interval_ms_(interval_ms) {}
  std::vector<health_log_line> tick(const std::vector<channel_status>& assessed,
                                    int64_t now_unix_ms);

 private:
  struct seen {
    bool overridden = false;
    int64_t failing_logged_ms = -1;  // -1: not failing
  };
  int64_t grace_ms_, interval_ms_;
  std::map<std::string, seen> seen_;
};

// "95 s", "2 min 5 s", "3 h 4 min": a duration for operators.
std::string describe_duration(int64_t ms);

}  // namespace patchbay::plugin
