// One channel's inbound rate limits (config::limits_config): a token bucket per sender and one for
// the channel; a message is admitted when both have a token (and takes one from each). Senders
// live in a bounded LRU map (max_senders), so a flood of distinct senders cannot grow memory; an
// evicted sender starts again with a full bucket. Also remembers, per sender, when it was last
// told something (notices are sent at most once per window). Pure; injected clock; not
// thread-safe (the turn strand owns it).
#pragma once

#include <chrono>
#include <string>

#include "access/lru_map.hpp"
#include "access/token_bucket.hpp"
#include "config/config.hpp"

namespace patchbay::access {

class inbound_limiter {
 public:
  static constexpr std::size_t default_max_senders = 10000;
  inbound_limiter(config::limits_config cfg, steady_time now,
                  std::size_t max_senders = default_max_senders);

  void reconfigure(const config::limits_config& cfg) { cfg_ = cfg; }
  const config::limits_config& limits() const { return cfg_; }

  // Takes a token from the sender's and the channel's bucket when both have one.
  bool try_admit(const std::string& sender, steady_time now);
  // How long until both buckets have a token for `sender`.
  std::chrono::milliseconds wait(const std::string& sender, steady_time now);

  enum class notice_kind { rate, late };
  // True at most once per `window` per sender and kind: the caller sends that notice now.
  bool should_notice(const std::string& sender, notice_kind kind, steady_time now,
                     std::chrono::milliseconds window);

  std::size_t tracked_senders() const { return senders_.size(); }

 private:
  struct sender_entry {
    token_bucket bucket;
    steady_time last_rate_notice{};
    steady_time last_late_notice{};
    bool rate_noticed = false, late_noticed = false;
  };
  sender_entry& sender(const std::string& id, steady_time now);

  config::limits_config cfg_;
  token_bucket channel_;
  lru_map<sender_entry> senders_;
};

}  // namespace patchbay::access
