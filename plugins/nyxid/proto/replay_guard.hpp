// NyxID protocol: the callback `jti` replay window (docs/protocols/nyxid-relay.md §1.3 step 9: "not
// seen before within a 5–6 min window").
//
// Each accepted jti is remembered until the later of (now + window) and (its exp + leeway), after
// which a replay would be refused as expired anyway. The set is bounded: entries are pruned by
// time on every call, and when it is still full the guard fails closed (`full`) rather than
// forgetting a live jti — only an authenticated sender can fill it, and only at > capacity/window
// messages per second. Time is a caller-supplied millisecond count. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_set>

namespace patchbay::plugins::nyxid {

struct replay_guard_config {
  int64_t window_ms = 360'000;
  size_t capacity = 100'000;
  size_t max_jti_bytes = 256;
};

class replay_guard {
 public:
  explicit replay_guard(replay_guard_config config = {}) : config_(config) {}

  enum class result { fresh, replayed, full, invalid };
  // Whether `jti` would be accepted now (does not record it).
  result check(std::string_view jti, int64_t now_ms);
  // Records `jti` as seen until max(now + window, keep_until_ms). Call only after every other
  // check passed, so a rejected callback does not poison its jti.
  result record(std::string_view jti, int64_t now_ms, int64_t keep_until_ms);

  size_t size() const { return seen_.size(); }

 private:
  void prune(int64_t now_ms);

  replay_guard_config config_;
  std::unordered_set<std::string> seen_;
  std::multimap<int64_t, std::string> by_expiry_;
};

}  // namespace patchbay::plugins::nyxid
