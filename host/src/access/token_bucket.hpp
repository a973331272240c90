// A token bucket on an injected clock: `burst` tokens at most, refilled at `per_minute` per minute.
// per_minute 0 = no limit (every take succeeds). Pure; not thread-safe.
#pragma once

#include <chrono>

#include "config/config.hpp"

namespace patchbay::access {

using steady_time = std::chrono::steady_clock::time_point;

class token_bucket {
 public:
  token_bucket(const config::bucket_config& cfg, steady_time now)
      : tokens_(cfg.burst), last_(now) {}
  // Takes one token if there is one.
  bool take(const config::bucket_config& cfg, steady_time now);
  // Whether a token is there now (without taking it).
  bool has_token(const config::bucket_config& cfg, steady_time now);
  // How long until a token is there (0 when one is there now).
  std::chrono::milliseconds wait(const config::bucket_config& cfg, steady_time now);

 private:
  void refill(const config::bucket_config& cfg, steady_time now);
  double tokens_;
  steady_time last_;
};

}  // namespace patchbay::access
