// patchbay common: jittered exponential backoff, the one home for retry delays (plugins' reconnect
// supervisors, the process agent's restarts, session-guard recovery). Pure logic: no clock, no I/O.
//
//   delay(n) = min(cap, initial * factor^n), then jitter: a uniform draw in
//   [delay * (1 - jitter), delay * (1 + jitter)], clamped to cap. n counts failures since reset().
//
// The randomness is injectable (tests pass a fixed source; jitter 0 gives exact sequences).
// Not thread-safe: owned by one strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace patchbay::common {

struct backoff_policy {
  std::chrono::milliseconds initial{2'000};
  double factor = 1.8;
  std::chrono::milliseconds cap{60'000};
  double jitter = 0.2;  // fraction of the delay, 0..1
};

class backoff {
 public:
  // `uniform01` returns a double in [0, 1); empty = a per-object std::mt19937_64 seeded randomly.
  explicit backoff(backoff_policy p = {}, std::function<double()> uniform01 = {});

  // The delay before the next attempt; counts one more failure.
  std::chrono::milliseconds next();
  // What next() would return without jitter (for status texts and logs).
  std::chrono::milliseconds peek_base() const;
  // Back to the initial delay: call only after the thing proved healthy (see stability_gate).
  void reset() { failures_ = 0; }
  uint32_t failures() const { return failures_; }
  const backoff_policy& policy() const { return p_; }

 private:
  backoff_policy p_;
  std::function<double()> rand_;
  uint32_t failures_ = 0;
};

// "Reset the backoff only after the connection has proved stable": a connection that came up at
// `up_at` counts as stable once it stayed up for `min_uptime` (then the supervisor resets its
// backoff). A connection that dies sooner keeps growing the delay.
struct stability_gate {
  std::chrono::milliseconds min_uptime{30'000};
  bool stable(int64_t up_at_ms, int64_t now_ms) const {
    return up_at_ms > 0 && now_ms - up_at_ms >= min_uptime.count();
  }
};

}  // namespace patchbay::common
