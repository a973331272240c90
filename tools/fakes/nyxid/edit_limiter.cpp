#include "edit_limiter.hpp"

#include <algorithm>

namespace patchbay::fakes::nyxid {

void edit_limiter::configure(std::int64_t per_second, std::int64_t burst) {
  per_second_ = std::max<std::int64_t>(per_second, 0);
  burst_ = std::max<std::int64_t>(burst, 1);
  buckets_.clear();
}

void edit_limiter::refill(bucket& b, std::int64_t now_ms) const {
  if (now_ms <= b.at_ms) return;  // a clock going backwards refills nothing
  // per_second tokens per 1000 ms = per_second milli-tokens per ms.
  const std::int64_t gained = (now_ms - b.at_ms) * per_second_;
  b.milli_tokens = std::min(burst_ * 1000, b.milli_tokens + gained);
  b.at_ms = now_ms;
}

void edit_limiter::prune(std::int64_t now_ms) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now_ms);
    it = it->second.milli_tokens >= burst_ * 1000 ? buckets_.erase(it) : std::next(it);
  }
}

bool edit_limiter::allow(std::string_view key, std::int64_t now_ms) {
  if (per_second_ == 0) return true;
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) prune(now_ms);
    // Still full of live buckets: refuse rather than grow without bound.
    if (buckets_.size() >= max_keys_) return false;
    it = buckets_.emplace(std::string(key), bucket{burst_ * 1000, now_ms}).first;
  }
  refill(it->second, now_ms);
  if (it->second.milli_tokens < 1000) return false;
  it->second.milli_tokens -= 1000;
  return true;
}

}  // namespace patchbay::fakes::nyxid
