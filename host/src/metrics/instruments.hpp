// The host's metric instruments: counters, gauges and fixed-bucket histograms, each a few
// std::atomic values updated with relaxed ordering. No locks, no allocation after construction:
// safe and cheap on any thread, on the hot path. A scrape reads them while they move; each value
// is exact, a set of values read together may be a moment apart.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace patchbay::metrics {

// Monotonic count of events.
class counter {
 public:
  void add(uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// A value that goes up and down (open streams, queue lengths).
class gauge {
 public:
  void set(int64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void add(int64_t d = 1) noexcept { v_.fetch_add(d, std::memory_order_relaxed); }
  void sub(int64_t d = 1) noexcept { v_.fetch_sub(d, std::memory_order_relaxed); }
  int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Durations in fixed buckets. `bounds` are the buckets' upper bounds in seconds (inclusive, as
// Prometheus' `le`), ascending; +Inf is implied. Observations are kept to the microsecond.
class histogram {
 public:
  explicit histogram(std::vector<double> bounds);

  void observe(std::chrono::microseconds d) noexcept;

  struct snapshot {
    std::vector<double> bounds;        // upper bounds, seconds (without +Inf)
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (= count): bounds.size() + 1
    uint64_t count = 0;
    double sum_seconds = 0;
  };
  // count is the +Inf bucket, so `_count` and `le="+Inf"` always agree.
  snapshot read() const;

 private:
  std::vector<double> bounds_;
  std::vector<int64_t> bounds_us_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<uint64_t> sum_us_{0};
};

// Buckets for chat turns, seconds: a fast first output to the slowest answer worth waiting for.
std::vector<double> turn_buckets();

}  // namespace patchbay::metrics
