#include "nyxid/proto/oidc_cache.hpp"

namespace patchbay::plugins::nyxid {

bool oidc_cache::fresh(int64_t now_ms) const {
  return doc_.has_value() && now_ms - loaded_at_ms_ < config_.ttl_ms;
}

bool oidc_cache::needs_refresh(int64_t now_ms) const {
  if (fresh(now_ms)) return false;
  return !failed_ || now_ms - failed_at_ms_ >= config_.retry_interval_ms;
}

void oidc_cache::on_fetched(oidc_discovery doc, int64_t now_ms) {
  doc_ = std::move(doc);
  loaded_at_ms_ = now_ms;
  failed_ = false;
  ++fetches_;
}

void oidc_cache::on_fetch_failed(int64_t now_ms) {
  failed_ = true;
  failed_at_ms_ = now_ms;
  ++fetches_;
}

}  // namespace patchbay::plugins::nyxid
