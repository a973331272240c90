// One configured channel running on a loaded plugin: owns the pb_instance, serializes every call
// into the plugin on one strand, serves the host API for it (host_services), makes inbound
// messages durable before the plugin may ack them, and guarantees exactly-once completions in both
// directions: every send/edit/typing the host starts completes once (a plugin that forgets is
// answered for it at destroy), and every callback the host owes the plugin runs before `destroy`.
//
// Thread safety: public methods may be called from any thread; host_services methods are called
// by the plugin from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "messages/messages.hpp"
#include "patchbay/kit/http_types.hpp"
#include "patchbay/kit/runtime.hpp"
#include "plugin/admission_gate.hpp"
#include "plugin/host_api.hpp"
#include "plugin/loader.hpp"
#include "state/store.hpp"

namespace patchbay::plugin {

// Clock, injectable for tests.
struct clock_source {
  virtual ~clock_source() = default;
  virtual int64_t now_unix_ms() = 0;
  virtual int64_t monotonic_ms() = 0;
};
clock_source& system_clock_source();

struct instance_events {
  // The plugin reported a status (state is a pb_channel_state).
  std::function<void(const pb_status&)> status;
  // A durable, non-duplicate inbound message (on a host thread).
  std::function<void(const messages::inbound_message&)> inbound;
  // Every emit_inbound outcome, for counters.
  std::function<void(pb_inbound_disposition)> inbound_outcome;
  // An inbound event refused by the host's admission limit (before the outcome above), for the
  // overload counter.
  std::function<void()> overloaded;
  // Every send/edit/typing result, once, before its caller sees it: `what` is "send", "edit" or
  // "typing" (also for results the host answers itself: cancelled at stop, ...). Any thread;
  // must not block.
  std::function<void(std::string_view what, const messages::op_result&)> op_outcome;
  // The plugin proved the connection alive (ABI minor 2 report_liveness). Any thread; must not
  // block.
  std::function<void(const pb_liveness&)> liveness;
  // A write of the plugin's state was refused because another replica took the instance's lease
  // over (set_fence): the instance must stop at once. Any thread; must not block.
  std::function<void(const std::string& why)> lease_lost;
};

// The send/edit/typing calls a channel's plugin has started and not completed yet.
struct in_flight_ops {
  uint64_t count = 0;
  int64_t oldest_age_ms = 0;  // age of the oldest one (monotonic clock); 0 when none
};

class channel_instance final : public host_services,
                               public std::enable_shared_from_this<channel_instance> {
 public:
  using op_done = std::function<void(const messages::op_result&)>;

  static std::shared_ptr<channel_instance> make(kit::io_runtime& rt,
                                                std::shared_ptr<const plugin_module> module,
                                                std::string id, std::string config_json,
                                                state::store& store, instance_events events,
                                                clock_source& clock = system_clock_source());
  ~channel_instance() override;

  const std::string& id() const { return id_; }
  const plugin_module& module() const { return *module_; }

  // create + start. `done("")` on success, else the refusal text (already logged).
  void start(std::function<void(const std::string& error)> done);
  // stop (bounded by `deadline`), wait for owed callbacks, destroy. `done` runs once. Idempotent.
  void shutdown(std::chrono::milliseconds deadline, std::function<void()> done);

  void send(messages::outbound_message msg, op_done done);
  void edit(messages::edit_request req, op_done done);
  void typing(messages::typing_request req, op_done done);
  // ABI minor 3: whether the plugin can download inbound attachments (minor >= 3 and a
  // fetch_attachment entry).
  bool can_fetch() const;
  // The plugin downloads an attachment into `req.dest_path` (fetch_attachment); `done` exactly
  // once, like send (the MIME type in op_result::mime_type). Requires can_fetch().
  struct fetch_request {
    std::string conversation_id, message_id, reply_context, kind, attachment_id, url, dest_path;
    uint64_t max_bytes = 0;
  };
  void fetch_attachment(fetch_request req, op_done done);
  // What the plugin has not completed yet (any thread; a short lock).
  in_flight_ops in_flight();
  // An inbound HTTP request for this channel (ABI minor 1); `req.path` must already be the part
  // after /hooks/<id> ("" or "/..."). `done` runs exactly once, on any thread: the plugin's
  // answer, 404 when the plugin takes no HTTP, 503 when the channel is not running or stops
  // first, 504 after PB_HTTP_DEADLINE_MS.
  using http_done = std::function<void(kit::http_response)>;
  void http(kit::http_request req, http_done done);
  // The host's admission limit (admission_gate.hpp) every inbound event must pass before it is
  // stored; none = no limit. Call before start().
  void set_admission(std::shared_ptr<admission_gate> gate) { admission_ = std::move(gate); }
  // A single-consumer instance run under a lease (state/lease_table.hpp): every write of the
  // plugin's state carries the fence, and lands only while the lease is still this replica's.
  // Call before start().
  void set_fence(state::fence f) { fence_ = std::move(f); }
  // Tests: a shorter deadline than PB_HTTP_DEADLINE_MS. Call before start().
  void set_http_deadline(std::chrono::milliseconds d) { http_deadline_ = d; }
  struct http_call;  // one request awaiting the plugin's answer (instance_http.cpp)

  // host_services (called by the plugin, any thread)
  void log(int32_t level, std::string_view text) override;
  void emit_inbound(const pb_inbound_message& msg, pb_inbound_done_fn done, void* ud) override;
  void refuse_inbound(pb_inbound_done_fn done, void* ud, int32_t code,
                      std::string_view why) override;
  void report_status(const pb_status& status) override;
  int32_t kv_get(std::string_view key, pb_kv_value_fn on_value, void* ud) override;
  void kv_write(std::string_view key, std::optional<std::string_view> value, pb_kv_done_fn done,
                void* ud) override;
  void refuse_kv_write(pb_kv_done_fn done, void* ud, std::string_view why) override;
  int64_t now_unix_ms() override;
  int64_t monotonic_ms() override;
  void report_liveness(const pb_liveness& proof) override;

 private:
  enum class phase { idle, running, stopping, destroyed };
  struct pending_op {
    op_done done;
    std::string what;
    int64_t started_ms = 0;  // monotonic
  };

  channel_instance(kit::io_runtime& rt, std::shared_ptr<const plugin_module> module, std::string id,
                   std::string config_json, state::store& store, instance_events events,
                   clock_source& clock);

  template <class Fn>
  void start_op(const char* what, op_done done, Fn&& call);  // on strand
  static void op_trampoline(void* ud, const pb_op_result* r);
  void complete_op(uint64_t op_id, messages::op_result r);
  static void stop_trampoline(void* ud);
  void finish_stop(uint64_t generation);
  void owe();   // the host now owes the plugin one callback
  void paid();  // ... and has delivered it
  // Runs `schedule`, which hands a plugin callback to the strand or the store; with `owes`, the
  // callback is owed from now on. If `schedule` throws, nothing was scheduled: the debt is
  // cancelled and the exception goes on to host_api.cpp, which answers the plugin itself.
  template <class Fn>
  void owing(bool owes, Fn&& schedule) {
    if (!owes) return schedule();
    owe();
    try {
      schedule();
    } catch (...) {
      paid();
      throw;
    }
  }
  // The answers to emit_inbound and kv writes: posted on the strand (never inside the plugin's
  // call, in order, never during another plugin call), each paying what its call owed.
  void intake_inbound(const pb_inbound_message& raw, pb_inbound_done_fn done, void* ud);
  void check_fingerprint(const std::shared_ptr<messages::inbound_message>& m,
                         pb_inbound_done_fn done, void* ud);
  void accept_inbound(const std::shared_ptr<messages::inbound_message>& m, pb_inbound_done_fn done,
                      void* ud);
  void answer_inbound(pb_inbound_done_fn done, void* ud, pb_inbound_disposition d, int32_t code,
                      std::string why, int64_t retry_after_ms = 0);
  void unreserve();  // the event's admission reservation ends (not handed to the turns)
  void write_kv(std::string_view key, std::optional<std::string_view> value, pb_kv_done_fn done,
                void* ud);
  void answer_kv(pb_kv_done_fn done, void* ud, int32_t code, std::string err);
  void destroy_now();  // on strand
  void fail_open_http();

  kit::io_runtime& rt_;
  kit::strand strand_;
  std::shared_ptr<const plugin_module> module_;
  std::string id_;
  std::string config_json_;
  state::store& store_;
  instance_events events_;
  std::shared_ptr<admission_gate> admission_;  // set before start, then read only
  std::optional<state::fence> fence_;          // set before start, then read only
  clock_source& clock_;
  pb_host host_handle_{this};
  pb_instance* inst_ = nullptr;

  phase phase_ = phase::idle;          // strand only
  std::atomic<bool> accepting_{true};  // host API calls honoured (false after destroy)
  std::mutex mu_;                      // guards ops_, owed_, destroy_ready_
  std::map<uint64_t, pending_op> ops_;
  std::vector<std::weak_ptr<http_call>> http_open_;
  std::chrono::milliseconds http_deadline_{PB_HTTP_DEADLINE_MS};
  int owed_ = 0;
  std::function<void()> when_paid_;
  std::function<void()> shutdown_done_;
  std::unique_ptr<kit::timer> stop_timer_;
  uint64_t stop_generation_ = 0;
};

}  // namespace patchbay::plugin
