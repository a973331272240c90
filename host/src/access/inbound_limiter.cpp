#include "access/inbound_limiter.hpp"

#include <algorithm>

namespace patchbay::access {

inbound_limiter::inbound_limiter(config::limits_config cfg, steady_time now,
                                 std::size_t max_senders)
    : cfg_(cfg), channel_(cfg.per_channel, now), senders_(max_senders) {}

inbound_limiter::sender_entry& inbound_limiter::sender(const std::string& id, steady_time now) {
  return senders_.get_or_create(id,
                                [&] { return sender_entry{token_bucket(cfg_.per_sender, now)}; });
}

bool inbound_limiter::try_admit(const std::string& id, steady_time now) {
  auto& s = sender(id, now);
  if (!s.bucket.has_token(cfg_.per_sender, now) || !channel_.has_token(cfg_.per_channel, now))
    return false;
  s.bucket.take(cfg_.per_sender, now);
  channel_.take(cfg_.per_channel, now);
  return true;
}

std::chrono::milliseconds inbound_limiter::wait(const std::string& id, steady_time now) {
  auto& s = sender(id, now);
  return std::max(s.bucket.wait(cfg_.per_sender, now), channel_.wait(cfg_.per_channel, now));
}

bool inbound_limiter::should_notice(const std::string& id, notice_kind kind, steady_time now,
                                    std::chrono::milliseconds window) {
  auto& s = sender(id, now);
  bool& noticed = kind == notice_kind::rate ? s.rate_noticed : s.late_noticed;
  steady_time& last = kind == notice_kind::rate ? s.last_rate_notice : s.last_late_notice;
  if (noticed && now - last < window) return false;
  noticed = true;
  last = now;
  return true;
}

}  // namespace patchbay::access
