#include "session_guard.hpp"

#include <utility>

namespace patchbay::weixin {
namespace {

common::backoff_policy session_policy(const guard_policy& p) {
  return {p.session_initial, 2.0, p.session_max, 0.0};
}
common::backoff_policy retry_policy(const guard_policy& p) {
  return {p.retry_initial, 2.0, p.retry_max, p.retry_jitter};
}

}  // namespace

session_guard::session_guard(guard_policy p, std::function<double()> uniform01)
    : p_(p),
      session_(session_policy(p), [] { return 0.0; }),
      retry_(retry_policy(p), std::move(uniform01)) {}

session_guard::decision session_guard::on_poll_ok(int64_t) {
  session_.reset();
  retry_.reset();
  paused_ = false;
  connected_ = true;
  expired_since_ = 0;
  attempt_ = 0;
  return {step::poll, std::chrono::milliseconds(0)};
}

session_guard::decision session_guard::on_poll_failed(int64_t) {
  connected_ = false;
  ++attempt_;
  return {step::poll, retry_.next()};
}

session_guard::decision session_guard::on_session_expired(int64_t now_ms) {
  connected_ = false;
  paused_ = true;
  ++attempt_;
  if (expired_since_ == 0) {
    expired_since_ = now_ms == 0 ? 1 : now_ms;
    return {step::notify_start, std::chrono::milliseconds(0)};
  }
  // notifyStart was accepted, yet the poll still answers -14: wait before the next try.
  return {step::notify_start, session_.next()};
}

session_guard::decision session_guard::on_notify_ok(int64_t) {
  paused_ = false;
  return {step::poll, std::chrono::milliseconds(0)};
}

session_guard::decision session_guard::on_notify_failed(int64_t) {
  paused_ = true;
  ++attempt_;
  return {step::notify_start, session_.next()};
}

session_guard::health session_guard::state(int64_t now_ms) const {
  if (expired_since_ != 0) {
    if (!paused_) return health::renewed;
    return now_ms - expired_since_ >= p_.relogin_after.count() ? health::relogin_needed
                                                               : health::recovering;
  }
  if (connected_) return health::connected;
  return health::reconnecting;
}

std::string session_guard::reason(int64_t now_ms) const {
  switch (state(now_ms)) {
    case health::connected:
      return {};
    case health::reconnecting:
      return "long poll failing; retrying with backoff";
    case health::recovering:
      return "session expired (errcode -14): long poll paused, recovering with notifyStart";
    case health::renewed:
      return "session renewed by notifyStart; long poll resumed";
    case health::relogin_needed:
      return "re-login needed: the bot session has answered errcode -14 for " +
             std::to_string((now_ms - expired_since_) / 1000) +
             " s; run `patchbay weixin-login` and update the bot token (still retrying)";
  }
  return {};
}

}  // namespace patchbay::weixin
