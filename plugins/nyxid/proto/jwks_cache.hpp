// NyxID protocol: the JWKS cache as a state machine without I/O (docs/protocols/nyxid-relay.md
// §1.3: "on an unknown kid, refetch the JWKS at most once per 10 s; OIDC data is cached for 300
// s").
//
// The plugin owns the HTTP: it asks `should_fetch(now)` / `on_unknown_kid(now)` whether to start
// a fetch, calls `begin_fetch(now)` when it does, and feeds the outcome back with `on_fetched` or
// `on_fetch_failed`. Rules:
//   - nothing loaded yet, or the keys are older than `keys_ttl_ms`: a fetch is due;
//   - an unknown kid asks for a fetch, granted at most once per `unknown_kid_interval_ms` after
//     the previous fetch started (a flood of forged kids costs one request per interval);
//   - one fetch at a time; a fetch that never reported back is forgotten after `fetch_stuck_ms`;
//   - a failed or empty fetch keeps the previous keys until they expire; after expiry lookups fail
//     (no key is trusted beyond its TTL) and fetches are retried at the unknown-kid pace.
// Time is a caller-supplied monotonic millisecond count (injectable clock). Not thread-safe: use
// from the plugin's strand (one instance per channel).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "nyxid/proto/jwks.hpp"

namespace patchbay::plugins::nyxid {

struct jwks_cache_config {
  int64_t keys_ttl_ms = 300'000;
  int64_t unknown_kid_interval_ms = 10'000;
  int64_t fetch_stuck_ms = 60'000;
};

class jwks_cache {
 public:
  explicit jwks_cache(jwks_cache_config config = {}) : config_(config) {}

  enum class lookup_status { found, unknown_kid, no_keys };
  struct lookup {
    lookup_status status = lookup_status::no_keys;
    const public_key* key = nullptr;  // valid until the next on_fetched()
  };
  // The key for `kid`, if the cache holds fresh keys.
  lookup find(std::string_view kid, int64_t now_ms) const;

  // A fetch is due because nothing is loaded or the keys expired, and none is running, and the
  // retry pace allows it.
  bool should_fetch(int64_t now_ms) const;
  // A token named an unknown kid: true when a refetch may start now (the caller then begins it).
  bool on_unknown_kid(int64_t now_ms) const;
  void begin_fetch(int64_t now_ms);
  // Replaces the key set (an empty set counts as a failure and keeps the old keys).
  void on_fetched(std::vector<public_key> keys, int64_t now_ms);
  void on_fetch_failed(int64_t now_ms);

  bool fetch_in_flight(int64_t now_ms) const;
  size_t size() const { return keys_.size(); }
  uint64_t fetches_started() const { return fetches_started_; }

 private:
  bool fresh(int64_t now_ms) const;
  bool paced(int64_t now_ms) const;

  jwks_cache_config config_;
  std::map<std::string, public_key, std::less<>> keys_;
  bool loaded_ = false;
  int64_t loaded_at_ms_ = 0;
  bool in_flight_ = false;
  bool ever_started_ = false;
  int64_t last_start_ms_ = 0;
  uint64_t fetches_started_ = 0;
};

}  // namespace patchbay::plugins::nyxid
