// Feishu/Lark family: the state machine behind make_ws_supervisor (ws_supervisor.hpp), shared by
// its two source files — ws_supervisor.cpp (the cycle: discovery → connect → closed → backoff,
// stop) and ws_link.cpp (the open connection: pings, liveness, pongs, events, acks). Internal:
// include it from those two files only. Kit headers only (no Asio).
//
// Threading: every member function below runs on `strand_`, except counters() (any thread,
// under mu_) and the ack functions handed to on_event (any thread: they post). Kit callbacks
// (http_fetch, ws_connect, timers) hold a weak_ptr, post onto the strand and are checked against
// the connection generation `gen_`, so a late completion of a dead cycle changes nothing.
//
// Lifetime: while stopping, keep_alive_ holds the object until `done`; otherwise it lives as
// long as its owner's handle (dropping it closes the connection and cancels everything).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "feishu_lark/channel/ws_retry.hpp"
#include "feishu_lark/channel/ws_supervisor.hpp"
#include "feishu_lark/proto/fragments.hpp"
#include "feishu_lark/proto/pbbp2.hpp"
#include "feishu_lark/proto/ws_frames.hpp"
#include "patchbay/kit/http_client.hpp"
#include "patchbay/kit/ws_client.hpp"

namespace patchbay::plugins::feishu_family::ws_detail {

using std::chrono::milliseconds;

class supervisor_impl final : public ws_supervisor,
                              public std::enable_shared_from_this<supervisor_impl> {
 public:
  supervisor_impl(kit::io_runtime& rt, kit::strand strand, const channel_config& cfg,
                  ws_hooks hooks);
  ~supervisor_impl() override;

  void start() override;
  void stop(std::function<void()> done) override;
  ws_counters counters() const override;

 private:
  // A kit timer runs its callback also when cancelled or re-armed (cancelled=true); the slot
  // tracks whether it is armed (for counters) and a token makes a stale firing harmless.
  struct timer_slot {
    timer_slot(kit::io_runtime& rt, const kit::strand& s) : t(rt, s) {}
    kit::timer t;
    bool armed = false;
    uint64_t token = 0;
  };

  // What an event's ack needs, shared with the ack function the channel may call from any thread.
  struct ack_state {
    std::weak_ptr<supervisor_impl> owner;
    uint64_t gen = 0;
    pbbp2::frame frame;  // the fragment that completed the event, payload dropped
    int64_t handed_at_ms = 0;
    std::atomic<bool> used{false};
  };

  enum class phase { idle, discovering, connecting, open, closing, waiting };

  // ---- strand and timer plumbing ----
  template <class F>
  void in_strand(F fn) {
    strand_.post([self = shared_from_this(), fn = std::move(fn)]() mutable {
      fn(*self);
      self->publish();
    });
  }
  // Posts from a kit callback: nothing when the supervisor is gone.
  template <class F>
  static void post_weak(const std::weak_ptr<supervisor_impl>& w, F fn) {
    if (auto self = w.lock()) self->in_strand(std::move(fn));
  }
  // The fixed set of timers: counters().armed_timers never exceeds its size.
  std::array<timer_slot*, 4> timers() {
    return {&retry_timer_, &ping_timer_, &liveness_timer_, &fragment_timer_};
  }
  void arm(timer_slot& slot, milliseconds delay, void (supervisor_impl::*fn)());
  void disarm(timer_slot& slot);
  void log(pb_log_level level, const std::string& text) const;
  void status(pb_channel_state st, const std::string& reason, uint32_t attempt, int64_t next);
  int64_t now_ms() const { return hooks_.monotonic_ms(); }
  void publish();

  // ---- the cycle (ws_supervisor.cpp) ----
  void start_cycle();
  void on_discovery(uint64_t gen, const std::string& err, const kit::http_client_response& resp);
  void connect(const std::string& url);
  void on_open(uint64_t gen);
  void on_closed(uint64_t gen, const kit::ws_close_info& info);
  void cycle_failed(const std::string& reason, bool fatal);
  void check_stopped();

  // ---- the open connection (ws_link.cpp) ----
  milliseconds ping_interval() const { return std::chrono::seconds(config_.ping_interval_s); }
  milliseconds liveness_limit() const { return ping_interval() + cfg_.liveness_margin; }
  // Tells on_alive: the window is three pings (never shorter than our own liveness limit).
  void alive(pb_liveness_kind kind);
  void send_ping();
  void on_ping_timer();
  void on_liveness_timer();
  void on_message(uint64_t gen, kit::ws_message_kind kind, const std::string& bytes);
  void on_pong(const pbbp2::frame& f);
  void note_server_policy(const char* source);
  void on_data(pbbp2::frame f);
  void rearm_fragment_timer();
  void on_fragment_timer();
  void deliver(pbbp2::frame f);
  void send_ack(const ack_state& st, int code, const std::optional<std::string>& data_json);

  kit::io_runtime& rt_;
  kit::strand strand_;
  channel_config cfg_;
  ws_hooks hooks_;
  ws_retry retry_;
  fragment_reassembler reassembler_;
  timer_slot retry_timer_;
  timer_slot ping_timer_;
  timer_slot liveness_timer_;
  timer_slot fragment_timer_;

  // Strand state.
  phase phase_ = phase::idle;
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  bool plain_ws_warned_ = false;
  uint64_t gen_ = 0;
  client_config config_{};  // the discovered ClientConfig, replaced by valid pong-carried ones
  int32_t service_id_ = 0;
  int64_t last_inbound_ms_ = 0;
  std::string death_reason_;  // set when we abort a dead connection, for its on_close
  std::shared_ptr<kit::http_cancel> discovery_cancel_;
  bool discovery_pending_ = false;  // http_fetch called, its done not yet seen
  std::shared_ptr<kit::ws_connection> conn_;
  bool conn_pending_ = false;  // ws_connect called, its on_close not yet seen
  std::vector<std::function<void()>> stop_dones_;
  std::shared_ptr<supervisor_impl> keep_alive_;
  ws_counters stats_;

  mutable std::mutex mu_;
  ws_counters published_;  // what counters() returns, refreshed after every strand handler
};

}  // namespace patchbay::plugins::feishu_family::ws_detail
