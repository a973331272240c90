// The host's admission limit on inbound events (host.admission, docs/architecture.md §8): an
// event is admitted only while the turns past intake (`load()`: handed to the turn service,
// waiting in the router, running, ended but still delivering) plus the events being stored right
// now stay below max_turns_in_flight + max_pending_turns. Otherwise the intake refuses it with
// PB_ERR_RATE_LIMITED and retry_after_ms BEFORE storing it, so the plugin withholds the platform's
// acknowledgement and the platform delivers it again later. Refusals are logged at most once per
// `warn_every` (with how many there were), never once per event.
//
// Thread safety: every method may be called from any thread (every channel's intake shares one).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>

namespace patchbay::plugin {

class admission_gate {
 public:
  using load_fn = std::function<std::size_t()>;
  using clock = std::chrono::steady_clock;

  // `limit` = max_turns_in_flight + max_pending_turns; `load` must be callable from any thread.
  admission_gate(std::size_t limit, std::chrono::milliseconds retry_after, load_fn load,
                 std::chrono::milliseconds warn_every = std::chrono::seconds(10));

  // Reserves room for one event (true) until release() or handed_over(); false = refuse it.
  bool try_reserve(clock::time_point now = clock::now());
  // The reserved event was not handed over (a duplicate, malformed, not stored).
  void release();
  // The reserved event reached the turn service (counted by `load` from now on).
  void handed_over() { release(); }

  std::chrono::milliseconds retry_after() const { return retry_after_; }
  std::size_t limit() const { return limit_; }
  std::size_t reserved() const { return reserved_.load(std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  void note_refusal(clock::time_point now);

  const std::size_t limit_;
  const std::chrono::milliseconds retry_after_;
  const load_fn load_;
  const std::chrono::milliseconds warn_every_;
  std::atomic<std::size_t> reserved_{0};
  std::atomic<uint64_t> refused_{0};
  std::mutex warn_mu_;  // the log line's state; only taken on a refusal
  clock::time_point last_warn_{};
  bool warned_ = false;
  uint64_t refused_at_warn_ = 0;
};

}  // namespace patchbay::plugin
