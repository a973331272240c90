// Feishu/Lark family: the cached tenant_access_token and when to fetch a new one
// (docs/protocols/feishu-lark.md §3.1). The platform hands out tokens valid for up to 2 h and
// returns a NEW token only when the current one has less than 30 min left (the same one
// otherwise), so:
//   - needs_refresh: no usable token (always), or less than `refresh_before` left and the last
//     fetch at least `min_refetch_interval` ago (so a platform that keeps returning a short-lived
//     token is not asked on every call);
//   - usable: more than `expiry_margin` left (the SDKs' 3 min) — while a refresh fails, an old
//     token is still used until then;
//   - invalidate: on the invalid-token codes (api_errors.hpp is_invalid_token_code) the token is
//     dropped at once, so the caller fetches again and retries its call once. (No SDK does this;
//     go-sdk keeps failing until natural expiry.)
// The clock is the caller's (monotonic ms). Not thread-safe: owned by the plugin's strand.
#pragma once

#include <cstdint>
#include <string>

namespace patchbay::plugins::feishu_family {

struct token_cache_policy {
  int64_t refresh_before_ms = 30 * 60 * 1000;
  int64_t expiry_margin_ms = 3 * 60 * 1000;
  int64_t min_refetch_interval_ms = 60 * 1000;
};

class tenant_token_cache {
 public:
  explicit tenant_token_cache(token_cache_policy p = {}) : p_(p) {}

  void store(std::string token, int64_t expire_s, int64_t now_ms);
  // A fetch failed: remember when, so needs_refresh does not ask again at once for a token that
  // is still usable.
  void fetch_failed(int64_t now_ms) { last_fetch_ms_ = now_ms; }
  void invalidate();

  bool usable(int64_t now_ms) const;
  bool needs_refresh(int64_t now_ms) const;
  // The token (empty when none); check usable() first. Never log it.
  const std::string& token() const { return token_; }
  int64_t expires_at_ms() const { return expires_at_ms_; }

 private:
  token_cache_policy p_;
  std::string token_;
  int64_t expires_at_ms_ = 0;
  int64_t last_fetch_ms_ = 0;
  bool fetched_ = false;
};

}  // namespace patchbay::plugins::feishu_family
