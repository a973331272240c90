#include "plugin/channel_status.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>

#include "messages/messages.hpp"
#include "plugin/channel_health.hpp"

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
    case channel_state::standby:
      return "standby";
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

// ---- minute_rate ---------------------------------------------------------------------------

void minute_rate::add(int64_t unix_ms) {
  const int64_t sec = unix_ms / 1000;
  const auto i = static_cast<size_t>(sec % 60);
  if (second_[i] != sec) {
    second_[i] = sec;
    count_[i] = 0;
  }
  ++count_[i];
}

uint64_t minute_rate::last_minute(int64_t unix_ms) const {
  const int64_t sec = unix_ms / 1000;
  uint64_t n = 0;
  for (size_t i = 0; i < second_.size(); ++i)
    if (second_[i] > sec - 60 && second_[i] <= sec) n += count_[i];
  return n;
}

// ---- status_board ----------------------------------------------------------------------------

namespace {
int64_t system_now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}
bool is_problem(channel_state s) {
  return s == channel_state::reconnecting || s == channel_state::degraded ||
         s == channel_state::failed || s == channel_state::refused;
}
}  // namespace

status_board::status_board(std::function<int64_t()> now_unix_ms)
    : now_(now_unix_ms ? std::move(now_unix_ms) : std::function<int64_t()>(&system_now)) {}

channel_status* status_board::find(const std::string& id) {
  for (auto& c : channels_)
    if (c.id == id) return &c;
  return nullptr;
}

void status_board::add(channel_status st) {
  std::lock_guard lk(mu_);
  if (st.state != channel_state::connected && st.down_since_unix_ms == 0)
    st.down_since_unix_ms = st.since_unix_ms != 0 ? st.since_unix_ms : now_();
  channels_.push_back(std::move(st));
}

void status_board::remove(const std::string& id) {
  std::lock_guard lk(mu_);
  std::erase_if(channels_, [&](const channel_status& c) { return c.id == id; });
  probes_.erase(id);
}

void status_board::update(const std::string& id, const std::function<void(channel_status&)>& fn) {
  std::lock_guard lk(mu_);
  channel_status* c = find(id);
  if (c == nullptr) return;
  const channel_state before = c->state;
  const std::string reason_before = c->reason;
  fn(*c);
  const int64_t now = now_();
  if (c->state == channel_state::connected)
    c->down_since_unix_ms = 0;
  else if (before == channel_state::connected || c->down_since_unix_ms == 0)
    c->down_since_unix_ms = now;
  if (is_problem(c->state) && !c->reason.empty() &&
      (c->state != before || c->reason != reason_before)) {
    c->last_error = c->reason;
    c->last_error_unix_ms = now;
  }
}

void status_board::record_inbound(const std::string& id, pb_inbound_disposition d) {
  std::lock_guard lk(mu_);
  channel_status* c = find(id);
  if (c == nullptr) return;
  if (d == PB_INBOUND_ACCEPTED) {
    ++c->inbound_accepted;
    const int64_t now = now_();
    c->last_inbound_unix_ms = now;
    c->inbound_rate.add(now);
  } else if (d == PB_INBOUND_DUPLICATE) {
    ++c->inbound_duplicates;
  } else {
    ++c->inbound_refused;
  }
}

void status_board::record_liveness(const std::string& id, const pb_liveness& proof) {
  std::lock_guard lk(mu_);
  channel_status* c = find(id);
  if (c == nullptr) return;
  c->last_liveness_unix_ms = now_();
  if (proof.window_ms > 0) c->liveness_window_ms = proof.window_ms;
}

void status_board::record_op(const std::string& id, std::string_view what,
                             const messages::op_result& r) {
  std::lock_guard lk(mu_);
  channel_status* c = find(id);
  if (c == nullptr) return;
  const std::string cls = messages::error_class_name(r.code);
  if (what == "send")
    ++c->outbound.sends[cls];
  else if (what == "edit")
    ++c->outbound.edits[cls];
  const int64_t now = now_();
  if (r.ok()) {
    // Only a message sent or edited proves the credentials work again: a typing request may
    // succeed without any platform call (a STOP with no indicator to remove, a paused indicator).
    if (what == "send" || what == "edit") {
      c->auth_failing_since_unix_ms = 0;
      c->auth_failure.clear();
    }
    return;
  }
  std::string text = r.message.substr(0, 512);
  c->outbound.last_failure = outbound_tally::failure{std::string(what), cls, text, now};
  if (r.code == PB_ERR_AUTH) {
    if (c->auth_failing_since_unix_ms == 0) c->auth_failing_since_unix_ms = now;
    c->auth_failure = text.empty() ? std::string("auth error") : text;
    c->last_error = "platform refuses our credentials: " + c->auth_failure;
    c->last_error_unix_ms = now;
  }
}

void status_board::record_error(const std::string& id, const std::string& text) {
  std::lock_guard lk(mu_);
  if (channel_status* c = find(id)) {
    c->last_error = text;
    c->last_error_unix_ms = now_();
  }
}

void status_board::set_in_flight_probe(const std::string& id,
                                       std::function<in_flight_reading()> probe) {
  std::lock_guard lk(mu_);
  if (probe)
    probes_[id] = std::move(probe);
  else
    probes_.erase(id);
}

void status_board::set_queue_probe(std::function<std::map<std::string, queue_reading>()> probe) {
  std::lock_guard lk(mu_);
  queue_probe_ = std::move(probe);
}

std::vector<channel_status> status_board::snapshot() const {
  std::vector<channel_status> out;
  std::map<std::string, std::function<in_flight_reading()>> probes;
  std::function<std::map<std::string, queue_reading>()> queue_probe;
  {
    std::lock_guard lk(mu_);
    out = channels_;
    probes = probes_;
    queue_probe = queue_probe_;
  }
  const auto queues = queue_probe ? queue_probe() : std::map<std::string, queue_reading>{};
  const int64_t now = now_();
  for (auto& c : out) {
    c.reported_state = c.state;
    c.reported_reason = c.reason;
    c.inbound_last_minute = c.inbound_rate.last_minute(now);
    const auto a = assess(c, now);
    if (a.overridden) {
      c.state = a.state;
      c.reason = a.reason;
      c.since_unix_ms = a.since_unix_ms;
      c.down_since_unix_ms = a.since_unix_ms;
    }
    // Outside the board's lock: the probe takes the instance's own.
    if (auto it = probes.find(c.id); it != probes.end()) {
      const auto r = it->second();
      c.outbound.in_flight = r.count;
      c.outbound.oldest_in_flight_ms = r.oldest_age_ms;
    }
    if (auto it = queues.find(c.id); it != queues.end()) {
      c.outbound.queued = it->second.live;
      c.outbound.dead = it->second.dead;
      c.outbound.oldest_queued_ms = it->second.oldest_age_ms;
    }
  }
  return out;
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
    if (c.enabled && !c.started && c.state != channel_state::standby)
      not_ready += (not_ready.empty() ? "" : "; ") + c.id + " " + to_string(c.state) +
                   (c.reason.empty() ? "" : " (" + c.reason + ")");
  if (why) *why = not_ready;
  return not_ready.empty();
}

namespace {

boost::json::object by_class(const std::map<std::string, uint64_t>& m) {
  boost::json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

}  // namespace

std::string status_board::to_json() const {
  namespace json = boost::json;
  json::array arr;
  for (const auto& c : snapshot()) {
    json::object outbound{{"sends", by_class(c.outbound.sends)},
                          {"edits", by_class(c.outbound.edits)},
                          {"in_flight", c.outbound.in_flight},
                          {"oldest_in_flight_ms", c.outbound.oldest_in_flight_ms},
                          {"queued", c.outbound.queued},
                          {"dead", c.outbound.dead},
                          {"oldest_queued_ms", c.outbound.oldest_queued_ms}};
    if (const auto& f = c.outbound.last_failure)
      outbound["last_failure"] = json::object{
          {"what", f->what}, {"class", f->error_class}, {"text", f->text}, {"unix_ms", f->unix_ms}};
    else
      outbound["last_failure"] = nullptr;
    json::value last_error = nullptr;
    if (c.last_error_unix_ms != 0)
      last_error = json::object{{"text", c.last_error}, {"unix_ms", c.last_error_unix_ms}};
    json::object o{{"id", c.id},
                   {"plugin", c.plugin},
                   {"plugin_version", c.plugin_version},
                   {"platform", c.platform},
                   {"enabled", c.enabled},
                   {"state", to_string(c.state)},
                   {"reason", c.reason},
                   {"since_unix_ms", c.since_unix_ms},
                   {"reported_state", to_string(c.reported_state)},
                   {"started", c.started},
                   {"attempt", c.attempt},
                   {"next_attempt_unix_ms", c.next_attempt_unix_ms},
                   {"inbound", json::object{{"accepted", c.inbound_accepted},
                                            {"duplicates", c.inbound_duplicates},
                                            {"refused", c.inbound_refused}}},
                   {"inbound_last_minute", c.inbound_last_minute},
                   {"last_inbound_unix_ms", c.last_inbound_unix_ms},
                   {"last_liveness_unix_ms", c.last_liveness_unix_ms},
                   {"liveness_window_ms", c.liveness_window_ms},
                   {"last_error", std::move(last_error)},
                   {"outbound", std::move(outbound)}};
    if (!c.agent_problem.empty()) o["agent_problem"] = c.agent_problem;
    arr.push_back(std::move(o));
  }
  return json::serialize(json::object{{"channels", std::move(arr)}});
}

}  // namespace patchbay::plugin
