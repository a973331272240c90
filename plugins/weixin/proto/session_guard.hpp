// The session guard of one iLink account: from the outcomes of the long poll and of notifyStart it
// decides what the poll loop does next and what the channel's status is. This is where the
// "errcode -14 death loop" of the reference client (docs/protocols/weixin-ilink.md §5.2) is
// avoided:
//
//   poll ok                   → poll again at once; both backoffs reset; status connected.
//   poll -14 (ret or errcode) → the long poll pauses and notifyStart is called: at once for the
//                               first -14 after a good poll, else after the session backoff.
//   notifyStart ok            → the pause clears and the poll resumes at once (the backoff is
//                               kept until a poll succeeds, so a server that accepts notifyStart
//                               but keeps answering -14 is retried 5 s, 10 s, 20 s ... apart).
//   notifyStart failed        → notifyStart again after the session backoff (5 s doubling,
//                               capped at 300 s, no jitter).
//   other poll failure        → poll again after the retry backoff (jittered).
//   -14 for longer than `relogin_after` → status degraded, "re-login needed" (still retrying at
//                               the capped backoff, so a re-login on the server side heals it).
//
// Only the long poll is paused: outbound REST is never gated by this guard (§5.3, §5.4).
// Pure logic: every input carries the current monotonic time in ms; delays come out; no clock,
// timer or I/O here, so it is tested with a fake clock. Not thread-safe: one account strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "patchbay/common/backoff.hpp"

namespace patchbay::weixin {

struct guard_policy {
  std::chrono::milliseconds session_initial{5'000};
  std::chrono::milliseconds session_max{300'000};
  std::chrono::milliseconds retry_initial{2'000};
  std::chrono::milliseconds retry_max{30'000};
  double retry_jitter = 0.2;
  std::chrono::milliseconds relogin_after{600'000};
};

class session_guard {
 public:
  enum class step { poll, notify_start };
  struct decision {
    step next = step::poll;
    std::chrono::milliseconds delay{0};
  };
  // renewed: notifyStart was accepted and the poll resumed; the next answer decides.
  enum class health { connected, reconnecting, recovering, renewed, relogin_needed };

  // `uniform01` feeds the retry backoff's jitter (empty = random); the session backoff has none.
  explicit session_guard(guard_policy p = {}, std::function<double()> uniform01 = {});

  decision on_poll_ok(int64_t now_ms);
  decision on_poll_failed(int64_t now_ms);
  decision on_session_expired(int64_t now_ms);
  decision on_notify_ok(int64_t now_ms);
  decision on_notify_failed(int64_t now_ms);

  // The long poll is paused (a notifyStart is due or running).
  bool poll_paused() const { return paused_; }
  health state(int64_t now_ms) const;
  // Failed attempts in the current trouble (poll failures or session recoveries), 0 when healthy.
  uint32_t attempt() const { return attempt_; }
  // When the current -14 episode began (0 = none).
  int64_t expired_since_ms() const { return expired_since_; }
  // Operator-facing status text for the current state (no secrets).
  std::string reason(int64_t now_ms) const;

 private:
  guard_policy p_;
  common::backoff session_;
  common::backoff retry_;
  bool paused_ = false;
  bool connected_ = false;
  int64_t expired_since_ = 0;
  uint32_t attempt_ = 0;
};

}  // namespace patchbay::weixin
