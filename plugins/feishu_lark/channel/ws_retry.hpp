// Feishu/Lark family: the reconnect policy of the WebSocket supervisor (ws_supervisor.hpp), as
// pure logic: no clock, no timer, no I/O — every input carries the monotonic time in ms and the
// delay before the next attempt comes out, so it is tested with a fake clock.
//
//   on_open(now)              a connection completed its handshake
//   on_failure(fatal, now)    an attempt or a connection ended; returns the delay and the attempt
//
// A retryable failure waits the jittered exponential delay of common::backoff (2 s, x1.8, 60 s cap
// by default); the delay resets ONLY when the connection that just ended had stayed up at least
// `stable_after` (common::stability_gate) — a connection that opens and dies at once keeps the
// delay growing, so a server that accepts and drops is never hammered. A fatal failure (bad
// credentials, forbidden, connection limit …) waits `fatal_retry`, never less: a slow retry, not a
// fast loop, and never giving up either.
//
// The server's ClientConfig ReconnectCount / ReconnectInterval / ReconnectNonce are NOT inputs
// here: the SDKs that obey a server-sent ReconnectCount give up silently
// (docs/protocols/feishu-lark.md §8, openclaw #72828); this policy never gives up, and those values
// only inform the log.
//
// Not thread-safe: owned by the supervisor's strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "patchbay/common/backoff.hpp"

namespace patchbay::plugins::feishu_family {

class ws_retry {
 public:
  struct decision {
    std::chrono::milliseconds delay{0};
    uint32_t attempt = 0;  // failures since the last stable connection, 1-based
    bool fatal = false;
    bool was_stable = false;  // the connection that ended had proved stable: backoff was reset
  };

  ws_retry(common::backoff_policy policy, std::chrono::milliseconds stable_after,
           std::chrono::milliseconds fatal_retry, std::function<double()> uniform01 = {});

  void on_open(int64_t now_ms);
  decision on_failure(bool fatal, int64_t now_ms);

  uint32_t consecutive_failures() const { return failures_; }
  bool connected() const { return up_at_ms_ > 0; }

 private:
  common::backoff backoff_;
  common::stability_gate gate_;
  std::chrono::milliseconds fatal_retry_;
  int64_t up_at_ms_ = 0;  // 0: no connection up
  uint32_t failures_ = 0;
};

}  // namespace patchbay::plugins::feishu_family
