#include "identity/access_token_cache.hpp"

#include <algorithm>

namespace patchbay::identity {

std::optional<std::string> access_token_cache::get(const std::string& binding_id,
                                                   std::int64_t now_ms) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(binding_id);
  if (it == entries_.end()) return std::nullopt;
  if (now_ms >= it->second.use_until_ms) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.token;
}

void access_token_cache::put(const std::string& binding_id, std::string token,
                             std::int64_t expires_in_s, std::int64_t now_ms) {
  if (expires_in_s <= 0 || token.empty() || max_entries_ == 0) return;
  const std::int64_t life = std::min(expires_in_s, max_lifetime_s);
  // Short lifetimes keep at least half of themselves as the margin.
  const std::int64_t usable_ms = life * 1000 - std::min(margin_s_ * 1000, life * 500);
  std::lock_guard lk(mu_);
  if (entries_.size() >= max_entries_ && !entries_.count(binding_id)) {
    for (auto it = entries_.begin(); it != entries_.end();)
      it = now_ms >= it->second.use_until_ms ? entries_.erase(it) : std::next(it);
    while (entries_.size() >= max_entries_) {
      auto oldest =
          std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
            return a.second.use_until_ms < b.second.use_until_ms;
          });
      entries_.erase(oldest);
    }
  }
  entries_[binding_id] = entry{std::move(token), now_ms + usable_ms};
}

void access_token_cache::erase(const std::string& binding_id) {
  std::lock_guard lk(mu_);
  entries_.erase(binding_id);
}

std::size_t access_token_cache::size() const {
  std::lock_guard lk(mu_);
  return entries_.size();
}

}  // namespace patchbay::identity
