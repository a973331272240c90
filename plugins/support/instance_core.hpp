// What the transport object of every channel instance is made of, whatever its platform:
//
//   instance_core<Config>  the plugin's runtime, the instance's strand on it, the gate in front of
//                          the host API (plugin_runtime.hpp host_gate), the parsed config, the
//                          completions owed to the host (http_calls.hpp) and the `closed_` flag;
//                          log / clock helpers going through the gate; close_core(), the part of
//                          destroy every instance shares.
//   pending_stop           a stop the host waits for: its completion, and the timer that ends the
//                          wait shortly before the host's deadline.
//
// Threading: instance_core's members may be used from any thread (host calls are dropped once the
// gate is closed). pending_stop is strand-only: begin, finish and the timer's callback all run on
// the instance's strand.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "patchbay/kit/runtime.hpp"
#include "patchbay/plugin.hpp"
#include "support/http_calls.hpp"
#include "support/plugin_runtime.hpp"

namespace patchbay::plugins {

template <class Config>
struct instance_core {
  instance_core(kit::io_runtime& rt, sdk::host h, Config cfg)
      : rt_(rt),
        strand_(rt.make_strand()),
        host_(std::make_shared<host_gate>(h)),
        cfg_(std::move(cfg)) {}

  void log(pb_log_level level, const std::string& text) {
    host_->with([&](const sdk::host& h) { h.log(level, text); });
  }
  int64_t monotonic_ms() {
    int64_t v = 0;
    host_->with([&](const sdk::host& h) { v = h.monotonic_ms(); });
    return v;
  }
  int64_t now_unix_ms() {
    int64_t v = 0;
    host_->with([&](const sdk::host& h) { v = h.now_unix_ms(); });
    return v;
  }

  // Destroy, the shared part (any thread): marks the instance closed, shuts the gate (no host call
  // after this), and fails every completion still owed (PB_ERR_RETRYABLE). The caller then
  // cancels its timers and its HTTP calls.
  void close_core() {
    closed_ = true;
    host_->close();
    owed_.settle_all(PB_ERR_RETRYABLE, "channel stopped before the operation completed");
  }

  kit::io_runtime& rt_;
  kit::strand strand_;
  std::shared_ptr<host_gate> host_;
  const Config cfg_;
  std::atomic<bool> closed_{false};
  owed_completions owed_;
};

class pending_stop {
 public:
  // Keeps `done` and arms a timer that runs `at_deadline` on `strand` at 9/10 of the host's
  // `deadline` (never waiting past it) unless finish() came first. `at_deadline` holds its owner
  // weakly and checks it itself.
  void begin(kit::io_runtime& rt, const kit::strand& strand, std::chrono::milliseconds deadline,
             sdk::stop_completion done, std::function<void()> at_deadline) {
    done_.emplace(std::move(done));
    timer_ = std::make_unique<kit::timer>(rt, strand);
    timer_->after(deadline * 9 / 10, [at_deadline = std::move(at_deadline)](bool cancelled) {
      if (!cancelled) at_deadline();
    });
  }

  // A stop began and is not finished yet.
  bool waiting() const { return done_.has_value(); }

  // Ends the stop: the timer is cancelled, `before` runs (e.g. reporting STOPPED), then the host's
  // completion, once. Nothing when no stop is waiting.
  template <class F>
  void finish(F&& before) {
    if (!done_) return;
    cancel_timer();
    before();
    auto done = std::move(*done_);
    done_.reset();
    done();
  }

  void cancel_timer() {
    if (timer_) timer_->cancel();
  }

 private:
  std::optional<sdk::stop_completion> done_;
  std::unique_ptr<kit::timer> timer_;
};

}  // namespace patchbay::plugins
