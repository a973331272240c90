#include "nyxid/proto/jwks_cache.hpp"

namespace patchbay::plugins::nyxid {

bool jwks_cache::fresh(int64_t now_ms) const {
  return loaded_ && now_ms - loaded_at_ms_ < config_.keys_ttl_ms;
}

bool jwks_cache::fetch_in_flight(int64_t now_ms) const {
  return in_flight_ && now_ms - last_start_ms_ < config_.fetch_stuck_ms;
}

bool jwks_cache::paced(int64_t now_ms) const {
  return !ever_started_ || now_ms - last_start_ms_ >= config_.unknown_kid_interval_ms;
}

jwks_cache::lookup jwks_cache::find(std::string_view kid, int64_t now_ms) const {
  if (!fresh(now_ms)) return {lookup_status::no_keys, nullptr};
  auto it = keys_.find(kid);
  if (it == keys_.end()) return {lookup_status::unknown_kid, nullptr};
  return {lookup_status::found, &it->second};
}

bool jwks_cache::should_fetch(int64_t now_ms) const {
  if (fetch_in_flight(now_ms) || fresh(now_ms)) return false;
  // The first load, and the first refresh after a successful period, go at once; retries after
  // failures keep the unknown-kid pace.
  if (!ever_started_) return true;
  if (loaded_ && loaded_at_ms_ >= last_start_ms_) return true;
  return paced(now_ms);
}

bool jwks_cache::on_unknown_kid(int64_t now_ms) const {
  return !fetch_in_flight(now_ms) && paced(now_ms);
}

void jwks_cache::begin_fetch(int64_t now_ms) {
  in_flight_ = true;
  ever_started_ = true;
  last_start_ms_ = now_ms;
  ++fetches_started_;
}

void jwks_cache::on_fetched(std::vector<public_key> keys, int64_t now_ms) {
  in_flight_ = false;
  if (keys.empty()) return;
  keys_.clear();
  for (auto& k : keys) {
    std::string kid = k.kid;
    keys_.emplace(std::move(kid), std::move(k));
  }
  loaded_ = true;
  loaded_at_ms_ = now_ms;
}

void jwks_cache::on_fetch_failed(int64_t /*now_ms*/) { in_flight_ = false; }

}  // namespace patchbay::plugins::nyxid
