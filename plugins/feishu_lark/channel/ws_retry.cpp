// ws_retry: see ws_retry.hpp.
#include "feishu_lark/channel/ws_retry.hpp"

#include <algorithm>

namespace patchbay::plugins::feishu_family {

ws_retry::ws_retry(common::backoff_policy policy, std::chrono::milliseconds stable_after,
                   std::chrono::milliseconds fatal_retry, std::function<double()> uniform01)
    : backoff_(policy, std::move(uniform01)),
      gate_{stable_after},
      fatal_retry_(std::max(fatal_retry, std::chrono::milliseconds(1))) {}

void ws_retry::on_open(int64_t now_ms) { up_at_ms_ = std::max<int64_t>(now_ms, 1); }

ws_retry::decision ws_retry::on_failure(bool fatal, int64_t now_ms) {
  decision d;
  if (up_at_ms_ > 0 && gate_.stable(up_at_ms_, now_ms)) {
    backoff_.reset();
    failures_ = 0;
    d.was_stable = true;
  }
  up_at_ms_ = 0;
  ++failures_;
  d.attempt = failures_;
  d.fatal = fatal;
  // A fatal failure leaves the exponential sequence where it was: the slow retry is its own.
  d.delay = fatal ? fatal_retry_ : backoff_.next();
  return d;
}

}  // namespace patchbay::plugins::feishu_family
