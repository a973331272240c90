// The host's metrics: per-channel counter blocks, per-agent error counters, turn counters and
// histograms, and the gauges the host keeps itself. One registry per host process, passed
// explicitly to what counts (no global); /metrics writes it with write_*().
//
// Cost model: channel(), agent() take a lock and may allocate: call them once per channel or
// agent, at set-up, and keep the shared_ptr where the events happen. Counting through a block is
// a relaxed atomic add. find_channel() is lock-free (a published immutable table), for paths that
// look a channel up per request (/hooks/<id>).
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/channel_counters.hpp"
#include "metrics/exposition.hpp"
#include "metrics/instruments.hpp"

namespace patchbay::metrics {

// How an agent let a turn down.
enum class agent_error_kind {
  error_answer,   // the agent answered the turn with an `error` payload
  failure,        // the backend failed (transport error, non-2xx, crash, spawn failure, ...)
  start_refused,  // the turn could not start (unknown or unusable agent, busy, stopping)
  timeout,        // silent for host.turn_timeout_ms
};
inline constexpr std::array<agent_error_kind, 4> all_agent_error_kinds{
    agent_error_kind::error_answer, agent_error_kind::failure, agent_error_kind::start_refused,
    agent_error_kind::timeout};
const char* to_string(agent_error_kind k);

class agent_counters {
 public:
  explicit agent_counters(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  void error(agent_error_kind k) noexcept { errors_[static_cast<int>(k)].add(); }
  uint64_t errors(agent_error_kind k) const { return errors_[static_cast<int>(k)].value(); }

 private:
  std::string name_;
  std::array<counter, all_agent_error_kinds.size()> errors_;
};

// Turns from admission to the router to their one terminal event (API and channel turns).
struct turn_metrics {
  counter started;                         // admitted to the router
  counter completed, errored, timed_out;   // terminal: done / error / silent past the deadline
  counter refused;                         // refused at admission (router or thread full)
  histogram first_output{turn_buckets()};  // admission → first delta or content
  histogram duration{turn_buckets()};      // admission → terminal event
};

class registry {
 public:
  registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // The block of channel `id`, created on first call; later calls return the same block.
  std::shared_ptr<channel_counters> channel(const std::string& id);
  // The block of channel `id` if it exists, else null. Lock-free.
  std::shared_ptr<channel_counters> find_channel(std::string_view id) const;
  // The error counters of agent `name`, created on first call.
  std::shared_ptr<agent_counters> agent(const std::string& name);

  turn_metrics& turns() { return turns_; }
  const turn_metrics& turns() const { return turns_; }
  gauge& sse_clients() { return sse_clients_; }

  // The per-channel families for `channel_ids` (the channels the host knows, in that order); a
  // channel without a block is written with zeros.
  void write_channels(text_writer& w, const std::vector<std::string>& channel_ids) const;
  // Turn counters and histograms, agent errors, SSE clients.
  void write_turns(text_writer& w) const;

 private:
  using channel_table = std::map<std::string, std::shared_ptr<channel_counters>, std::less<>>;

  std::mutex mu_;  // writers of table_, agents_
  std::atomic<std::shared_ptr<const channel_table>> table_;
  mutable std::mutex agents_mu_;
  std::map<std::string, std::shared_ptr<agent_counters>> agents_;
  turn_metrics turns_;
  gauge sse_clients_;
};

}  // namespace patchbay::metrics
