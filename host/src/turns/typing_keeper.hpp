// The typing indicator of channel turns (docs/architecture.md "Typing"): START when a turn starts
// running, refreshed on a timer while it runs, STOP exactly once when it ends, whatever the ending
// (the turn's output sees its terminal event: answer, agent error, /stop, agent crash, timeout,
// shutdown). STOP goes only to plugins that understand it (ABI minor 3); older ones would read it
// as START. At most one typing call per turn is in flight: a STOP decided while the START is still
// out goes when it completes, so a plugin always sees START before STOP.
//
// Typing is ephemeral: nothing is stored; it never affects the answer. After a rate-limit,
// permission or "unsupported" failure a channel gets no START for a while (`options::backoff`, or
// the platform's retry-after when longer); a turn that already sent START still sends its STOP.
//
// Threading: not thread-safe; everything runs on the scheduler's executor (the turn service's
// strand), including the `done` callbacks the send function is handed (it must hop there).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "messages/messages.hpp"
#include "turns/router.hpp"

namespace patchbay::turns {

struct typing_target {
  std::string channel_id;
  messages::typing_request request;  // conversation, thread, reply context, user, message
  bool can_stop = false;             // the plugin understands STOP (ABI minor >= 3)
};

class typing_keeper {
 public:
  using done_fn = std::function<void(const messages::op_result&)>;
  // One typing call into a channel. `done` runs exactly once, on the keeper's executor, never
  // inside this call.
  using send_fn =
      std::function<void(const std::string& channel_id, messages::typing_request req, done_fn)>;
  struct options {
    std::chrono::milliseconds refresh{5'000};    // START again while the turn runs
    std::chrono::milliseconds backoff{300'000};  // no START on a channel after such a failure
    std::function<int64_t()> now_ms;             // monotonic; default: steady_clock
  };

  typing_keeper(scheduler& sched, send_fn send, options opt);
  ~typing_keeper();
  typing_keeper(const typing_keeper&) = delete;
  typing_keeper& operator=(const typing_keeper&) = delete;

  // A turn admitted with a typing target; false (and nothing kept) when the id is already known.
  bool expect(const std::string& turn_id, typing_target target);
  // The turn runs (its agent started): START, then refreshes.
  void started(const std::string& turn_id);
  // The turn ended: STOP once if START was sent (and the plugin understands STOP); forgotten.
  void ended(const std::string& turn_id);
  // The turn was never admitted (a duplicate): forgotten without a call.
  void forget(const std::string& turn_id);
  // `out` with its terminal events reported to ended(turn_id) first (the keeper may be gone by
  // then: the wrapper checks).
  std::unique_ptr<turn_output> wrap(const std::string& turn_id, std::unique_ptr<turn_output> out);

  std::size_t tracked() const { return turns_.size(); }
  // The channel gets no START until this monotonic time (0 = none).
  int64_t paused_until(const std::string& channel_id) const;

 private:
  struct entry {
    typing_target target;
    bool running = false;
    bool in_flight = false;
    bool start_sent = false;
    bool ended = false;
    bool failure_logged = false;
    uint64_t timer = 0;
  };
  void send_start(const std::string& turn_id, entry& e);
  void send_stop(const std::string& turn_id, entry& e);
  void arm_refresh(const std::string& turn_id, entry& e);
  void on_done(const std::string& turn_id, int32_t action, const messages::op_result& r);
  void note_failure(const std::string& turn_id, entry& e, int32_t action,
                    const messages::op_result& r);
  int64_t now() const;

  scheduler& sched_;
  send_fn send_;
  options opt_;
  std::map<std::string, entry> turns_;     // by turn id; bounded by the router's turns
  std::map<std::string, int64_t> paused_;  // channel id → no START before (monotonic ms)
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace patchbay::turns
