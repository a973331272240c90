#include "access/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace patchbay::access {

void token_bucket::refill(const config::bucket_config& cfg, steady_time now) {
  if (now <= last_) return;
  const double minutes = std::chrono::duration<double, std::ratio<60>>(now - last_).count();
  tokens_ = std::min(cfg.burst, tokens_ + minutes * cfg.per_minute);
  last_ = now;
}

bool token_bucket::has_token(const config::bucket_config& cfg, steady_time now) {
  if (cfg.per_minute <= 0) return true;
  refill(cfg, now);
  return tokens_ >= 1.0;
}

bool token_bucket::take(const config::bucket_config& cfg, steady_time now) {
  if (!has_token(cfg, now)) return false;
  if (cfg.per_minute > 0) tokens_ -= 1.0;
  return true;
}

std::chrono::milliseconds token_bucket::wait(const config::bucket_config& cfg, steady_time now) {
  if (has_token(cfg, now)) return std::chrono::milliseconds(0);
  const double ms = (1.0 - tokens_) * 60000.0 / cfg.per_minute;
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(ms)));
}

}  // namespace patchbay::access
