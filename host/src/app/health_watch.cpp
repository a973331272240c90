#include "app/health_watch.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

#include "plugin/channel_health.hpp"

namespace patchbay::app {

struct health_watch::state : std::enable_shared_from_this<state> {
  state(kit::io_runtime& rt, plugin::status_board& b, const config::health_config& cfg,
        std::chrono::milliseconds t)
      : board(b),
        reporter(cfg.channel_grace.count(), cfg.report_interval.count()),
        tick(t),
        timer(rt, rt.make_strand()) {}

  void arm() {
    std::lock_guard lk(mu);
    if (stopped) return;
    timer.after(tick, [w = weak_from_this()](bool cancelled) {
      auto self = w.lock();
      if (!self || cancelled) return;
      self->run();
      self->arm();
    });
  }

  void run() {
    const auto snap = board.snapshot();
    for (const auto& line : reporter.tick(snap, board.now_unix_ms())) {
      if (line.error) {
        spdlog::error("{}", line.text);
      } else {
        spdlog::warn("{}", line.text);
      }
      // A problem the evidence found becomes the channel's last error.
      if (!line.new_problem.empty()) board.record_error(line.channel, line.new_problem);
    }
  }

  plugin::status_board& board;
  plugin::health_reporter reporter;  // timer strand only
  std::chrono::milliseconds tick;
  std::mutex mu;  // guards stopped and the timer's arming
  bool stopped = false;
  kit::timer timer;
};

health_watch::health_watch(kit::io_runtime& rt, plugin::status_board& board,
                           const config::health_config& cfg, std::chrono::milliseconds tick)
    : state_(std::make_shared<state>(rt, board, cfg, tick)) {
  state_->arm();
}

health_watch::~health_watch() { stop(); }

void health_watch::stop() {
  std::lock_guard lk(state_->mu);
  state_->stopped = true;
  state_->timer.cancel();
}

}  // namespace patchbay::app
