#include "plugin/channel_status.hpp"

#include <boost/json.hpp>

#include "patchbay/pb_messages.h"

namespace patchbay::plugin {

const char* to_string(channel_state s) {
  switch (s) {
    case channel_state::pending:
      return "pending";
    case channel_state::starting:
      return "starting";
    case channel_state::connected:
      return "connected";
    case channel_state::reconnecting:
      return "reconnecting";
    case channel_state::degraded:
      return "degraded";
    case channel_state::failed:
      return "failed";
    case channel_state::stopped:
      return "stopped";
    case channel_state::refused:
      return "refused";
    case channel_state::disabled:
      return "disabled";
    case channel_state::unknown:
      break;
  }
  return "unknown";
}

channel_state from_pb_state(int32_t s) {
  switch (s) {
    case PB_STATE_STARTING:
      return channel_state::starting;
    case PB_STATE_CONNECTED:
      return channel_state::connected;
    case PB_STATE_RECONNECTING:
      return channel_state::reconnecting;
    case PB_STATE_DEGRADED:
      return channel_state::degraded;
    case PB_STATE_FAILED:
      return channel_state::failed;
    case PB_STATE_STOPPED:
      return channel_state::stopped;
    default:
      return channel_state::unknown;
  }
}

void status_board::add(channel_status st) {
  std::lock_guard lk(mu_);
  channels_.push_back(std::move(st));
}

void status_board::update(const std::string& id, const std::function<void(channel_status&)>& fn) {
  std::lock_guard lk(mu_);
  for (auto& c : channels_)
    if (c.id == id) {
      fn(c);
      return;
    }
}

std::vector<channel_status> status_board::snapshot() const {
  std::lock_guard lk(mu_);
  return channels_;
}

void status_board::set_startup_complete(bool v) {
  std::lock_guard lk(mu_);
  startup_complete_ = v;
}

bool status_board::ready(std::string* why) const {
  std::lock_guard lk(mu_);
  std::string not_ready;
  if (!startup_complete_) not_ready = "start-up in progress";
  for (const auto& c : channels_)
    if (c.enabled && !c.started)
      not_ready += (not_ready.empty() ? "" : "; ") + c.id + " " + to_string(c.state) +
                   (c.reason.empty() ? "" : " (" + c.reason + ")");
  if (why) *why = not_ready;
  return not_ready.empty();
}

std::string status_board::to_json() const {
  namespace json = boost::json;
  json::array arr;
  for (const auto& c : snapshot()) {
    json::object o{{"id", c.id},
                   {"plugin", c.plugin},
                   {"plugin_version", c.plugin_version},
                   {"platform", c.platform},
                   {"enabled", c.enabled},
                   {"state", to_string(c.state)},
                   {"reason", c.reason},
                   {"since_unix_ms", c.since_unix_ms},
                   {"started", c.started},
                   {"inbound", json::object{{"accepted", c.inbound_accepted},
                                            {"duplicates", c.inbound_duplicates},
                                            {"refused", c.inbound_refused}}}};
    if (!c.agent_problem.empty()) o["agent_problem"] = c.agent_problem;
    if (c.state == channel_state::reconnecting) {
      o["attempt"] = c.attempt;
      o["next_attempt_unix_ms"] = c.next_attempt_unix_ms;
    }
    arr.push_back(std::move(o));
  }
  return json::serialize(json::object{{"channels", std::move(arr)}});
}

}  // namespace patchbay::plugin
