#include "plugin/channel_health.hpp"

#include <algorithm>

namespace patchbay::plugin {

std::string describe_duration(int64_t ms) {
  const int64_t s = std::max<int64_t>(0, ms) / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s / 60 % 60) + " min";
}

assessment assess(const channel_status& c, int64_t now) {
  assessment a{c.state, c.reason, c.since_unix_ms, false};
  if (c.state != channel_state::connected) return a;
  if (c.auth_failing_since_unix_ms > 0) {
    a.state = channel_state::degraded;
    a.reason = "platform refuses our credentials: " + c.auth_failure;
    a.since_unix_ms = c.auth_failing_since_unix_ms;
    a.overridden = true;
    return a;
  }
  if (c.liveness_window_ms > 0) {
    const int64_t proof =
        std::max({c.last_liveness_unix_ms, c.last_inbound_unix_ms, c.since_unix_ms});
    const int64_t deadline = proof + c.liveness_window_ms;
    if (now > deadline) {
      a.state = channel_state::degraded;
      a.reason = "no sign of life for " + describe_duration(now - proof) +
                 " (the plugin expects one within " + describe_duration(c.liveness_window_ms) + ")";
      a.since_unix_ms = deadline;
      a.overridden = true;
    }
  }
  return a;
}

health_verdict evaluate(const std::vector<channel_status>& assessed, int64_t now,
                        int64_t grace_ms) {
  health_verdict v;
  for (const auto& c : assessed) {
    channel_verdict cv;
    cv.id = c.id;
    cv.state = c.state;
    cv.reason = c.reason;
    cv.enabled = c.enabled;
    cv.state_for_ms = std::max<int64_t>(0, now - c.since_unix_ms);
    if (c.state != channel_state::connected && c.down_since_unix_ms > 0)
      cv.down_for_ms = std::max<int64_t>(0, now - c.down_since_unix_ms);
    // A standby channel runs on another replica: nothing this host should be restarted for.
    cv.healthy = !c.enabled || c.state == channel_state::connected ||
                 c.state == channel_state::standby || cv.down_for_ms <= grace_ms;
    if (!cv.healthy) {
      v.healthy = false;
      v.unhealthy.push_back(c.id);
    }
    v.channels.push_back(std::move(cv));
  }
  return v;
}

std::vector<health_log_line> health_reporter::tick(const std::vector<channel_status>& assessed,
                                                   int64_t now) {
  std::vector<health_log_line> out;
  const auto verdict = evaluate(assessed, now, grace_ms_);
  for (size_t i = 0; i < assessed.size(); ++i) {
    const auto& c = assessed[i];
    const auto& cv = verdict.channels[i];
    auto& s = seen_[c.id];
    const bool overridden = c.state != c.reported_state;
    if (overridden && !s.overridden)
      out.push_back({false,
                     "channel " + c.id + ": " + to_string(c.state) + " although its plugin " +
                         "reports " + to_string(c.reported_state) + ": " + c.reason,
                     c.id, c.reason});
    else if (!overridden && s.overridden && c.state == channel_state::connected)
      out.push_back({false, "channel " + c.id + ": connected again (sign of life)", c.id, {}});
    s.overridden = overridden;

    const bool failing = c.enabled && (c.state == channel_state::failed || !cv.healthy);
    if (!failing) {
      s.failing_logged_ms = -1;
      continue;
    }
    if (s.failing_logged_ms >= 0 && now - s.failing_logged_ms < interval_ms_) continue;
    s.failing_logged_ms = now;
    out.push_back({true,
                   "channel " + c.id + " is not working: " + to_string(c.state) + " for " +
                       describe_duration(cv.down_for_ms > 0 ? cv.down_for_ms : cv.state_for_ms) +
                       (c.reason.empty() ? "" : ": " + c.reason),
                   c.id,
                   {}});
  }
  return out;
}

}  // namespace patchbay::plugin
