#include "render/platform_output.hpp"

#include <spdlog/spdlog.h>

#include "patchbay/common/log_subject.hpp"

#include <chrono>

namespace patchbay::render {

namespace {

class forwarding_output final : public turns::turn_output {
 public:
  explicit forwarding_output(std::shared_ptr<platform_driver> d) : d_(std::move(d)) {}
  void delta(std::string_view t) override { d_->renderer().on_delta(t); }
  void content(std::string_view t, bool eph) override { d_->renderer().on_content(t, eph); }
  void error(std::string_view t) override { d_->renderer().on_error(t); }
  void complete() override { d_->renderer().on_complete(); }
  bool rendered() const override { return d_->rendered(); }
  void when_rendered(std::function<void()> fn) override { d_->when_rendered(std::move(fn)); }

 private:
  std::shared_ptr<platform_driver> d_;
};

}  // namespace

platform_driver::platform_driver(std::shared_ptr<plugin::channel_instance> channel,
                                 render::turn_target target, render::effective_caps caps,
                                 turns::strand_scheduler& sched, state::store& store,
                                 std::function<void(platform_driver*)> on_idle,
                                 std::shared_ptr<const bool> sched_alive)
    : channel_(std::move(channel)),
      target_(target),
      sched_(sched),
      store_(store),
      on_idle_(std::move(on_idle)),
      rng_(std::chrono::steady_clock::now().time_since_epoch().count() | 1),
      sched_alive_(std::move(sched_alive)) {
  renderer_ = std::make_unique<render::platform_renderer>(
      std::move(target), caps, *this, [this](render::turn_outcome) {
        // Finishing happens inside the renderer: look again once the call stack unwound.
        sched_.strand().post([w = weak_from_this()] {
          if (auto s = w.lock()) s->check_idle();
        });
      });
}

platform_driver::~platform_driver() {
  if (timer_ && *sched_alive_) sched_.cancel(timer_);
}

std::unique_ptr<turns::turn_output> platform_driver::make_output() {
  return std::make_unique<forwarding_output>(shared_from_this());
}

void platform_driver::check_idle() {
  if (!rendered()) return;
  if (auto fn = std::move(on_rendered_)) {
    on_rendered_ = nullptr;
    fn();  // the router advances the thread
  }
  if (auto fn = std::move(on_idle_)) {
    on_idle_ = nullptr;
    fn(this);  // may destroy this driver: nothing after it
  }
}

// Plugin completions arrive on the channel's strand: hop to ours before touching the renderer.
render::renderer_port::op_done platform_driver::on_strand(op_done done) {
  return [w = weak_from_this(), done = std::move(done)](const messages::op_result& r) {
    auto s = w.lock();
    if (!s) return;
    s->sched_.strand().post([s, done, r] {
      done(r);
      s->check_idle();
    });
  };
}

void platform_driver::send(messages::outbound_message msg, op_done done) {
  channel_->send(std::move(msg), on_strand(std::move(done)));
}

void platform_driver::edit(messages::edit_request req, op_done done) {
  channel_->edit(std::move(req), on_strand(std::move(done)));
}

void platform_driver::arm_timer(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (timer_) sched_.cancel(timer_);
  timer_ = sched_.schedule(delay, [this, fn = std::move(fn)] {
    timer_ = 0;
    fn();
    check_idle();
  });
}

int64_t platform_driver::now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void platform_driver::persist(const render::turn_record& rec) {
  state::turn_row row;
  row.turn_id = rec.turn_id;
  row.instance = channel_->id();
  row.conversation_id = target_.conversation_id;
  row.thread_id = target_.thread_id;
  row.reply_to_message_id = target_.reply_to_message_id;
  row.placeholder_id = rec.placeholder_id;
  row.flushed_text = rec.flushed_text;
  row.reply_token_spent = rec.reply_token_spent;
  row.terminal = rec.terminal;
  row.outcome = rec.outcome;
  row.updated_at_unix_ms = 0;  // the store stamps wall-clock time
  store_.save_turn(row, [channel = channel_->id(), id = rec.turn_id](const std::string& err) {
    if (!err.empty())
      spdlog::error("{}turn state not saved: {}", common::log_tag({channel, id}), err);
  });
}

void platform_driver::log(render::log_level level, const std::string& text) {
  auto l = level == render::log_level::error  ? spdlog::level::err
           : level == render::log_level::warn ? spdlog::level::warn
           : level == render::log_level::info ? spdlog::level::info
                                              : spdlog::level::debug;
  spdlog::log(l, "{}{}", common::log_tag({channel_->id(), target_.turn_id}), text);
}

double platform_driver::random01() {
  rng_ ^= rng_ << 13;  // xorshift64: jitter only, no need for quality
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  return static_cast<double>(rng_ >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace patchbay::render
