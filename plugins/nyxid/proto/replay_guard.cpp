#include "nyxid/proto/replay_guard.hpp"

#include <algorithm>

namespace patchbay::plugins::nyxid {

void replay_guard::prune(int64_t now_ms) {
  auto end = by_expiry_.upper_bound(now_ms);
  for (auto it = by_expiry_.begin(); it != end; ++it) seen_.erase(it->second);
  by_expiry_.erase(by_expiry_.begin(), end);
}

replay_guard::result replay_guard::check(std::string_view jti, int64_t now_ms) {
  if (jti.empty() || jti.size() > config_.max_jti_bytes) return result::invalid;
  prune(now_ms);
  if (seen_.count(std::string(jti))) return result::replayed;
  if (seen_.size() >= config_.capacity) return result::full;
  return result::fresh;
}

replay_guard::result replay_guard::record(std::string_view jti, int64_t now_ms,
                                          int64_t keep_until_ms) {
  const result r = check(jti, now_ms);
  if (r != result::fresh) return r;
  const int64_t until = std::max(now_ms + config_.window_ms, keep_until_ms);
  seen_.emplace(jti);
  by_expiry_.emplace(until, std::string(jti));
  return r;
}

}  // namespace patchbay::plugins::nyxid
