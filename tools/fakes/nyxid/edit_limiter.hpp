// patchbay-fake-nyxid: NyxID's per-message edit limit (docs/protocols/nyxid-relay.md §4,
// CHANNEL_RELAY_EDIT_RATE_LIMIT_*: 10 per second, burst 20, keyed by the platform message id,
// checked before authentication → 429 rate_limited/1005).
//
// A token bucket per key: `burst` tokens, refilled at `per_second` (fractional refill kept in
// milli-tokens). Time is a caller-supplied millisecond count (injectable clock). Bounded: at
// most `max_keys` buckets; full buckets are forgotten first (a full bucket equals a new one).
// per_second == 0 disables the limit. Not thread-safe (owned by fake_nyxid).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace patchbay::fakes::nyxid {

class edit_limiter {
 public:
  edit_limiter(std::int64_t per_second = 10, std::int64_t burst = 20,
               std::size_t max_keys = 100'000)
      : per_second_(per_second), burst_(burst), max_keys_(max_keys) {}

  void configure(std::int64_t per_second, std::int64_t burst);
  // Takes one token for `key` at `now_ms`; false = rate limited (nothing taken).
  bool allow(std::string_view key, std::int64_t now_ms);
  void clear() { buckets_.clear(); }
  std::size_t size() const { return buckets_.size(); }
  std::int64_t per_second() const { return per_second_; }
  std::int64_t burst() const { return burst_; }

 private:
  struct bucket {
    std::int64_t milli_tokens = 0;
    std::int64_t at_ms = 0;
  };
  void refill(bucket& b, std::int64_t now_ms) const;
  void prune(std::int64_t now_ms);

  std::int64_t per_second_;
  std::int64_t burst_;
  std::size_t max_keys_;
  std::unordered_map<std::string, bucket> buckets_;
};

}  // namespace patchbay::fakes::nyxid
