// What the host knows about each configured channel: plugin, lifecycle, the latest status the
// plugin reported, and the evidence the host gathered itself (inbound events, liveness proofs,
// outbound results). Thread-safe; read by the HTTP API, the health watch and `patchbay status`.
//
// The board keeps what was reported; its snapshots show what the evidence says (channel_health.hpp
// assess()): a channel reported `connected` whose last sign of life is older than its liveness
// window, or whose sends the platform refuses for credentials, is shown `degraded` with the reason.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "patchbay/pb_messages.h"

namespace patchbay::messages {
struct op_result;
}

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
  standby,  // single-consumer: another replica holds its lease; this one takes over if it stops
  unknown,  // a pb_channel_state value this host does not know (a newer plugin)
};

// "connected", ...
const char* to_string(channel_state s);
// The host's state for a pb_channel_state value reported by a plugin.
channel_state from_pb_state(int32_t pb_state);

// Events per minute, in one-second buckets (a fixed 60-entry ring: no allocation, no growth).
class minute_rate {
 public:
  void add(int64_t unix_ms);
  // Events in the 60 s up to `unix_ms`.
  uint64_t last_minute(int64_t unix_ms) const;

 private:
  std::array<int64_t, 60> second_{};  // the unix second each bucket counts
  std::array<uint32_t, 60> count_{};
};

// Outbound results of one channel (from channel_instance's op_outcome).
struct outbound_tally {
  std::map<std::string, uint64_t> sends, edits;  // by result class: "ok", "auth", "retryable"...
  struct failure {
    std::string what;  // send, edit, typing
    std::string error_class;
    std::string text;
    int64_t unix_ms = 0;
  };
  std::optional<failure> last_failure;
  // Read from the running instance when a snapshot is taken: the send/edit/typing calls its
  // plugin has not completed (there is no outbound queue yet), and the oldest one's age.
  uint64_t in_flight = 0;
  int64_t oldest_in_flight_ms = 0;
  // The durable outbound queue's rows of this channel (docs/architecture.md §7), read when a
  // snapshot is taken: live (pending or in flight), dead letters, the oldest live row's age.
  uint64_t queued = 0;
  uint64_t dead = 0;
  int64_t oldest_queued_ms = 0;
};

struct channel_status {
  std::string id, plugin, plugin_version, platform;
  bool enabled = true;
  // In a snapshot: the assessed state (what the evidence says); on the board: as reported.
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

  // ---- evidence (kept by the board's record_* functions) ----
  // When the channel last stopped being connected (as reported); 0 while connected. In a
  // snapshot: when it stopped being connected by the assessment.
  int64_t down_since_unix_ms = 0;
  int64_t last_inbound_unix_ms = 0;   // last accepted inbound event
  int64_t last_liveness_unix_ms = 0;  // last liveness proof (ABI minor 2)
  uint32_t liveness_window_ms = 0;    // the latest non-zero window; 0 = never declared
  std::string last_error;             // the latest problem (status reason, refused credentials...)
  int64_t last_error_unix_ms = 0;
  // Set by the first outbound PB_ERR_AUTH after a success, cleared by the next success.
  int64_t auth_failing_since_unix_ms = 0;
  std::string auth_failure;
  outbound_tally outbound;
  minute_rate inbound_rate;

  // ---- snapshot only ----
  channel_state reported_state = channel_state::pending;  // the state before the assessment
  std::string reported_reason;
  uint64_t inbound_last_minute = 0;
};

class status_board {
 public:
  // `now_unix_ms`: the wall clock (injectable for tests).
  explicit status_board(std::function<int64_t()> now_unix_ms = {});

  void add(channel_status st);
  // Drops the channel's entry (a reload removed the channel); unknown ids are ignored.
  void remove(const std::string& id);
  // Applies `fn` to the channel's entry under the lock; unknown ids are ignored. Keeps the
  // derived fields in step: down_since_unix_ms, and last_error when the state turns into a
  // problem (reconnecting, degraded, failed, refused) with a reason.
  void update(const std::string& id, const std::function<void(channel_status&)>& fn);

  // Evidence. Any thread; a short lock; unknown ids are ignored.
  void record_inbound(const std::string& id, pb_inbound_disposition d);
  void record_liveness(const std::string& id, const pb_liveness& proof);
  void record_op(const std::string& id, std::string_view what, const messages::op_result& r);
  void record_error(const std::string& id, const std::string& text);
  // How to read a running channel's in-flight outbound calls (unset: 0).
  struct in_flight_reading {
    uint64_t count = 0;
    int64_t oldest_age_ms = 0;
  };
  void set_in_flight_probe(const std::string& id, std::function<in_flight_reading()> probe);
  // How to read the durable outbound queue, per channel id (unset: 0).
  struct queue_reading {
    uint64_t live = 0, dead = 0;
    int64_t oldest_age_ms = 0;
  };
  void set_queue_probe(std::function<std::map<std::string, queue_reading>()> probe);

  // Every channel as the evidence shows it (see the top of this file), at `now`.
  std::vector<channel_status> snapshot() const;
  // Ready when start-up finished and every enabled channel started. `why` lists the others.
  bool ready(std::string* why) const;
  void set_startup_complete(bool v);
  std::string to_json() const;  // {"channels":[{...}]}
  int64_t now_unix_ms() const { return now_(); }

 private:
  channel_status* find(const std::string& id);  // under mu_

  std::function<int64_t()> now_;
  mutable std::mutex mu_;
  std::vector<channel_status> channels_;
  std::map<std::string, std::function<in_flight_reading()>> probes_;
  std::function<std::map<std::string, queue_reading>()> queue_probe_;
  bool startup_complete_ = false;
};

}  // namespace patchbay::plugin
