// NyxID protocol: the OIDC discovery document (`/.well-known/openid-configuration`: issuer and
// jwks_uri) cached for 300 s (docs/protocols/nyxid-relay.md §1.3 item 2), as a state machine
// without I/O, the companion of jwks_cache: before a JWKS fetch the plugin asks
// `needs_refresh(now)`; when it says so it fetches the discovery document first and feeds the
// outcome back.
//
//   - nothing loaded, or the document is older than `ttl_ms`: a refresh is due;
//   - a failed refresh keeps the previous document (its jwks_uri stays usable: the keys behind it
//     are still verified by signature) and is retried at most once per `retry_interval_ms`;
//   - `current()` is the last good document (nullopt before the first success).
// Time is a caller-supplied millisecond count (injectable clock). Not thread-safe: use from the
// plugin's strand.
#pragma once

#include <cstdint>
#include <optional>

#include "nyxid/proto/jwks.hpp"

namespace patchbay::plugins::nyxid {

struct oidc_cache_config {
  int64_t ttl_ms = 300'000;
  int64_t retry_interval_ms = 10'000;
};

class oidc_cache {
 public:
  explicit oidc_cache(oidc_cache_config config = {}) : config_(config) {}

  // True when the document is missing or stale and the retry pace allows a fetch now.
  bool needs_refresh(int64_t now_ms) const;
  bool fresh(int64_t now_ms) const;
  void on_fetched(oidc_discovery doc, int64_t now_ms);
  void on_fetch_failed(int64_t now_ms);
  const std::optional<oidc_discovery>& current() const { return doc_; }
  uint64_t fetches() const { return fetches_; }

 private:
  oidc_cache_config config_;
  std::optional<oidc_discovery> doc_;
  int64_t loaded_at_ms_ = 0;
  bool failed_ = false;
  int64_t failed_at_ms_ = 0;
  uint64_t fetches_ = 0;
};

}  // namespace patchbay::plugins::nyxid
