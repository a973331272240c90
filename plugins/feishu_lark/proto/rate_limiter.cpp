#include "feishu_lark/proto/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace patchbay::plugins::feishu_family {
namespace {
// Refill sums doubles: a token counts as whole within this much, so that waiting exactly the
// announced time always succeeds.
constexpr double epsilon = 1e-9;
}  // namespace

token_bucket::token_bucket(bucket_params p, int64_t now_ms)
    : p_{std::max(p.rate_per_s, 1e-6), std::max(p.burst, 1.0)},
      tokens_(p_.burst),
      last_ms_(now_ms) {}

void token_bucket::refill(int64_t now_ms) {
  if (now_ms <= last_ms_) return;  // a clock that goes back grants nothing
  tokens_ =
      std::min(p_.burst, tokens_ + static_cast<double>(now_ms - last_ms_) * p_.rate_per_s / 1000.0);
  last_ms_ = now_ms;
}

double token_bucket::tokens(int64_t now_ms) {
  refill(now_ms);
  return tokens_;
}

int64_t token_bucket::wait_ms(int64_t now_ms) {
  refill(now_ms);
  if (tokens_ >= 1.0 - epsilon) return 0;
  const double ms = (1.0 - tokens_) * 1000.0 / p_.rate_per_s;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(ms - epsilon)));
}

bool token_bucket::try_take(int64_t now_ms) {
  if (wait_ms(now_ms) != 0) return false;
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

rate_limiter::rate_limiter(rate_limits l) : l_(l), app_(l.app) {
  l_.max_chats = std::max<size_t>(l_.max_chats, 1);
}

rate_limiter::chat_state& rate_limiter::chat(const std::string& id, int64_t now_ms) {
  auto it = chats_.find(id);
  if (it != chats_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  if (chats_.size() >= l_.max_chats) {
    chats_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(id);
  return chats_.emplace(id, chat_state{token_bucket(l_.chat, now_ms), 0, lru_.begin()})
      .first->second;
}

int64_t rate_limiter::acquire(std::string_view chat_id, int64_t now_ms) {
  int64_t wait = std::max<int64_t>(0, app_blocked_until_ms_ - now_ms);
  wait = std::max(wait, app_.wait_ms(now_ms));
  chat_state* c = nullptr;
  if (!chat_id.empty()) {
    c = &chat(std::string(chat_id), now_ms);
    wait = std::max(wait, c->blocked_until_ms - now_ms);
    wait = std::max(wait, c->bucket.wait_ms(now_ms));
  }
  if (wait > 0) return wait;
  app_.try_take(now_ms);
  if (c) c->bucket.try_take(now_ms);
  return 0;
}

void rate_limiter::block_app_until(int64_t until_ms) {
  app_blocked_until_ms_ = std::max(app_blocked_until_ms_, until_ms);
}

void rate_limiter::block_chat_until(std::string_view chat_id, int64_t until_ms) {
  chat_state& c = chat(std::string(chat_id), until_ms);
  c.blocked_until_ms = std::max(c.blocked_until_ms, until_ms);
}

}  // namespace patchbay::plugins::feishu_family
