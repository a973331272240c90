// A turn rendered to the chat platform it came from: the platform renderer, driven on the turn
// service's strand, with a port that hands every send and edit to the durable outbound queue's
// worker (recorded before it is attempted; retries, pacing and order per thread are the worker's),
// persists turn state in the store and arms strand timers. Once the turn is terminal, every
// operation is queued in the same transaction as the turn row and the plan that remains after it
// (platform_renderer::pending_json), so a crash never loses an operation decided for the user: a
// restart continues the plan. The row's plan is cleared once the renderer finished.
//
// The renderer outlives the router's view of the turn: the router's terminal event is where the
// final edits and parts START. The driver keeps itself alive (in the service's draining set)
// until the renderer is finished and idle.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "media/outbound_materializer.hpp"
#include "outbound/worker.hpp"
#include "render/platform_renderer.hpp"
#include "state/store.hpp"
#include "turns/router.hpp"
#include "turns/strand_scheduler.hpp"

namespace patchbay::render {

class platform_driver final : public render::renderer_port,
                              public std::enable_shared_from_this<platform_driver> {
 public:
  // `on_idle` runs (on the strand) once the renderer finished and has nothing outstanding.
  // `ordering_key`: the turn's thread; its ops go out in order after earlier ops of the thread.
  platform_driver(std::string channel_id, std::string ordering_key, render::turn_target target,
                  render::effective_caps caps, turns::strand_scheduler& sched, state::store& store,
                  outbound::worker& worker, std::function<void(platform_driver*)> on_idle,
                  std::shared_ptr<const bool> sched_alive);
  ~platform_driver() override;

  render::platform_renderer& renderer() { return *renderer_; }
  bool rendered() const { return renderer_->finished() && renderer_->idle(); }
  // `fn` runs once, on the strand, when rendered() becomes true (never inside this call).
  void when_rendered(std::function<void()> fn) { on_rendered_ = std::move(fn); }
  // The turn_output the router talks to (forwards to the renderer).
  std::unique_ptr<turns::turn_output> make_output();
  // Where attachments are materialised (null: the turn cannot send files). Call before use.
  void set_materializer(media::outbound_materializer* m) { materializer_ = m; }

  // renderer_port
  void send(messages::outbound_message msg, render::op_kind kind, op_done done) override;
  void edit(messages::edit_request req, render::op_kind kind, op_done done) override;
  // Capability check, materialisation (off the strand), then an `attachment` op of the queue that
  // owns the spool file; every failure answers with the user-facing notice text.
  void send_attachment(const messages::attachment_spec& file, messages::outbound_message msg,
                       op_done done) override;
  void arm_timer(std::chrono::milliseconds delay, std::function<void()> fn) override;
  int64_t now_ms() override;
  void persist(const render::turn_record& rec) override;
  void log(render::log_level level, const std::string& text) override;
  double random01() override;

 private:
  void check_idle();
  op_done on_strand(op_done done);
  void submit(const messages::outbound_op& op, render::op_kind kind, op_done done,
              const std::string& spool_path = {});
  // The turn row of `rec`; a terminal one carries the renderer's plan left (and notes it).
  state::turn_row to_row(const render::turn_record& rec);

  std::string channel_id_;
  std::string ordering_key_;
  outbound::worker& worker_;
  // A terminal state to save: with the next op, or alone (posted) if the renderer decides none.
  bool terminal_unsaved_ = false;
  bool plan_saved_ = false;     // the last terminal row saved carries a plan: clear it at the end
  bool materializing_ = false;  // the renderer's current op (a file) is not queued yet
  int op_seq_ = 0;
  render::turn_target target_;
  render::effective_caps caps_;
  media::outbound_materializer* materializer_ = nullptr;
  turns::strand_scheduler& sched_;
  state::store& store_;
  std::function<void(platform_driver*)> on_idle_;
  std::function<void()> on_rendered_;
  std::unique_ptr<render::platform_renderer> renderer_;
  bool single_use_token_ = false;  // the channel's reply token is spent by the first attempt
  uint64_t timer_ = 0;
  uint64_t rng_;
  // False once the scheduler is gone (a queued handler may hold the last reference to a driver
  // past the turn service's life; then there is no timer left to cancel).
  std::shared_ptr<const bool> sched_alive_;
};

}  // namespace patchbay::render
