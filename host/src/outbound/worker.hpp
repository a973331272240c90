// The outbound worker: attempts the operations of the durable outbound queue
// (state/outbound_queue.hpp) on the chat platforms, in order per ordering key (a thread), at the
// pace the platforms allow.
//
//  - submit(): the row is written to the queue first; the op is attempted only once it is durable,
//    and after every earlier op of its ordering key is finished. A channel over its cap of live
//    rows refuses the op at once (the caller gets PB_ERR_RETRYABLE "outbound queue full").
//  - rate_limited: the op waits retry-after (at least `base`, at most `max_retry_after`) and is
//    tried again, as often as it takes; these waits do not count toward the retry budget.
//  - retryable: backoff with jitter (base · 2^(n-1), capped); after `max_attempts` failed attempts
//    the row becomes a dead letter with the last error.
//  - token_used: sent once more at once, without the reply token (the payload is updated); an op
//    whose token is single-use (outbound_op::single_use_token) is retried without it after any
//    failure: the platform saw it.
//  - unsupported: the row is removed (the renderer falls back: it sends new messages instead of
//    edits); every other class (auth, rejected, not_found, invalid_input, internal): dead at once.
//  - A channel that is not running: the op waits (checked every `unavailable_wait`).
// The caller's `done` hears the outcome once: success, or the error that made the row dead.
//
// Threading: not thread-safe. Every call, and the sink's completions, on one serialized context
// (the turn service's strand); `post` brings the store's write completions onto it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "messages/messages.hpp"
#include "state/outbound_queue.hpp"
#include "state/store.hpp"
#include "turns/router.hpp"

namespace patchbay::outbound {

using op_done = std::function<void(const messages::op_result&)>;

// Where the worker attempts ops: the channel instances (the host), or a test's fake platform.
// Completions must arrive on the worker's context.
class op_sink {
 public:
  virtual ~op_sink() = default;
  virtual bool available(const std::string& instance) = 0;  // false: the channel is not running
  virtual void send(const std::string& instance, messages::outbound_message m, op_done done) = 0;
  virtual void edit(const std::string& instance, messages::edit_request r, op_done done) = 0;
};

struct worker_policy {
  int max_attempts = 6;                   // failed retryable attempts before the row is dead
  std::chrono::milliseconds base{500};    // retryable backoff base; the shortest rate-limit wait
  std::chrono::milliseconds cap{30'000};  // retryable backoff cap
  std::chrono::milliseconds max_retry_after{60'000};  // the longest single rate-limit wait
  std::chrono::milliseconds unavailable_wait{1'000};
  std::size_t channel_cap = 5'000;  // live (not dead) rows per channel instance
};

struct worker_env {
  turns::scheduler* sched = nullptr;
  std::function<void(std::function<void()>)> post;  // onto the worker's context, from any thread
  std::function<int64_t()> now_ms;                  // wall clock, unix ms
  std::function<double()> random01;                 // jitter, [0, 1)
  std::function<void(int level, const std::string&)> log;  // 0 debug, 1 info, 2 warn, 3 error
};

class worker {
 public:
  worker(worker_env env, state::outbound_queue& queue, op_sink& sink, worker_policy policy = {});
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // Decides `op` (row fields instance, ordering_key, turn_id, kind, idempotency_key are the
  // caller's; the payload is written here). Returns the row id (0 when refused).
  // With `also_save`, that turn row is saved in the same transaction as the op.
  int64_t submit(state::outbound_row row, const messages::outbound_op& op, op_done done,
                 const state::turn_row* also_save = nullptr);
  // Start-up: takes up the rows a previous run left (pending and in flight, by id); dead rows
  // stay dead. `on_done(row, result)` hears each one's outcome.
  using recovered_fn = std::function<void(const state::outbound_row&, const messages::op_result&)>;
  void resume(recovered_fn on_done);
  // Operator actions. retry: a dead row is pending again (attempts reset), at the end of its
  // ordering key. drop: a dead or waiting row is removed (its caller hears PB_ERR_REJECTED
  // "dropped by an operator"). Both return "" or why not.
  std::string retry(int64_t id);
  std::string drop(int64_t id);
  // Stops attempting (shutdown): rows stay in the queue for the next run; no callback runs.
  void stop();

 private:
  struct entry {
    int64_t id = 0;
    op_done done;
    bool durable = false;
    bool in_flight = false;
    uint64_t timer = 0;
  };
  struct lane {
    std::deque<entry> ops;
  };

  void pump(const std::string& key);
  void attempt(const std::string& key, entry& e, state::outbound_row row);
  void on_result(const std::string& key, int64_t id, const messages::op_result& r);
  void wait(const std::string& key, entry& e, std::chrono::milliseconds delay);
  void finish(const std::string& key, const messages::op_result& r);
  void drop_spent_token(state::outbound_row& row);
  void log(int level, const std::string& text) const;

  worker_env env_;
  state::outbound_queue& queue_;
  op_sink& sink_;
  worker_policy policy_;
  std::map<std::string, lane> lanes_;
  recovered_fn on_recovered_;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace patchbay::outbound
