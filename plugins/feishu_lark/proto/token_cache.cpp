#include "feishu_lark/proto/token_cache.hpp"

#include <algorithm>

namespace patchbay::plugins::feishu_family {

void tenant_token_cache::store(std::string token, int64_t expire_s, int64_t now_ms) {
  token_ = std::move(token);
  // Clamp absurd values: the platform documents at most 2 h.
  const int64_t life_ms = std::clamp<int64_t>(expire_s, 0, int64_t{7} * 24 * 3600) * 1000;
  expires_at_ms_ = now_ms + life_ms;
  last_fetch_ms_ = now_ms;
  fetched_ = true;
}

void tenant_token_cache::invalidate() {
  token_.clear();
  expires_at_ms_ = 0;
  fetched_ = false;  // the next call fetches at once, whatever the refetch interval
}

bool tenant_token_cache::usable(int64_t now_ms) const {
  return !token_.empty() && expires_at_ms_ - now_ms > p_.expiry_margin_ms;
}

bool tenant_token_cache::needs_refresh(int64_t now_ms) const {
  if (!usable(now_ms)) return true;
  if (expires_at_ms_ - now_ms >= p_.refresh_before_ms) return false;
  return !fetched_ || now_ms - last_fetch_ms_ >= p_.min_refetch_interval_ms;
}

}  // namespace patchbay::plugins::feishu_family
