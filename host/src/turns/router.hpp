// The turn router: owns every turn from admission to its one terminal event.
//
//  - Turns of one thread (thread key = channel + conversation + thread) run one after another, in
//    admission order; different threads run concurrently, at most max_running at once: a thread
//    whose next turn finds every slot taken waits (FIFO) for one (the turn is admitted, not
//    refused). Queues are bounded: admission is refused (and the caller tells the platform to
//    redeliver later) when a thread or the router is full.
//  - Agent payloads are parsed and validated; malformed, oversized or unknown-turn payloads are
//    logged with the reason and counted, never crash or hang a turn.
//  - A payload carrying delta, content or error always reaches the renderer. Every turn ends with
//    exactly one terminal event (complete or error), including when the agent stays silent past
//    the idle deadline; a second terminal for a finished turn is ignored and counted.
//
// Threading: not thread-safe; everything runs on one serialized executor (the `scheduler`). Agents
// may call back from any thread only through the scheduler (see turn_sink in agent.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "turns/thread_response.hpp"

namespace patchbay::turns {

// What the router needs from its executor: deferred work and cancellable timers.
class scheduler {
 public:
  virtual ~scheduler() = default;
  // Runs `fn` after `delay` on the router's executor; returns an id for cancel().
  virtual uint64_t schedule(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  virtual void cancel(uint64_t id) = 0;
};

// Where a turn's events go (a platform renderer, an SSE stream). Called on the router's executor.
class turn_output {
 public:
  virtual ~turn_output() = default;
  virtual void delta(std::string_view text) = 0;
  virtual void content(std::string_view text, bool ephemeral) = 0;
  // A file to send (thread_response `attachment`), after what was delivered before it.
  virtual void attachment(const attachment_spec& a) = 0;
  virtual void error(std::string_view user_text) = 0;  // terminal
  virtual void complete() = 0;                         // terminal
  // After the terminal event an output may still be delivering (final edits, parts, retries).
  // The next turn of the same thread starts only once it has: rendered() says whether that is
  // so now; otherwise when_rendered(fn) must call `fn` exactly once later, on the router's
  // executor, never from inside when_rendered itself.
  virtual bool rendered() const { return true; }
  // NOLINTNEXTLINE(performance-unnecessary-value-param): overrides keep the callback
  virtual void when_rendered(std::function<void()> /*fn*/) {}
};

// A turn's own deadlines (its agent's): `idle` between payloads (0 = router_limits::idle_timeout),
// `total` from its start (0 = none).
struct turn_deadlines {
  std::chrono::milliseconds idle{0};
  std::chrono::milliseconds total{0};
};

struct turn_spec {
  std::string turn_id;
  std::string thread_key;
  std::string agent;         // agent name
  std::string request_json;  // what the agent receives (turn, thread, sender, text, ...)
  std::unique_ptr<turn_output> output;
};

// Starts a turn on an agent; the agent answers through router::deliver(turn_id, json). Returns
// false when the agent cannot start it (the router then ends the turn with `error_text`).
class agent_starter {
 public:
  virtual ~agent_starter() = default;
  virtual bool start(const turn_spec& turn, std::string& error_text) = 0;
  // Whether the turn's agent is at its own concurrency limit now (its max_in_flight): the router
  // then does not start the turn but keeps it waiting (agent_retry later), rather than ending it
  // with the agent's "busy" answer.
  virtual bool at_capacity(const turn_spec& /*turn*/) { return false; }
  // The turn's deadlines, asked once as it starts (e.g. an agent that answers in minutes).
  virtual turn_deadlines deadlines(const turn_spec& /*turn*/) { return {}; }
  virtual void cancel(const std::string& turn_id) = 0;  // the router gave up on the turn
};

struct router_limits {
  std::size_t max_queued_per_thread = 16;
  std::size_t max_turns = 4096;                     // queued + running, all threads
  std::size_t max_running = 0;                      // turns running on agents at once; 0 = no limit
  std::chrono::milliseconds idle_timeout{120'000};  // no payload for this long → error
  std::chrono::milliseconds agent_retry{50};  // an agent at capacity is asked again after this
  std::string timeout_text = "The agent did not answer in time. Please try again.";
  std::string busy_text = "Too many messages at once; please try again in a moment.";
};

struct router_stats {
  uint64_t admitted = 0, refused = 0, completed = 0, errored = 0, timed_out = 0;
  uint64_t payloads = 0, rejected_payloads = 0, unknown_turn = 0, duplicate_terminal = 0;
};

enum class admission { accepted, thread_full, router_full, duplicate_turn };

// How a turn ended: the agent's done, the agent's error payload, silence past the idle deadline,
// fail()/fail_all() (agent failure, client gone, shutdown), or the agent could not start it.
enum class turn_end { completed, agent_error, timed_out, failed, start_failed };

// Hears what happens to admitted turns, for metrics. Called on the router's executor, in this
// order per turn: admitted, first_output (at most once: the first delta or content), ended
// (exactly once, before the output sees the terminal event); or only refused (a full router or
// thread queue; duplicates of a known turn are not reported).
class turn_observer {
 public:
  virtual ~turn_observer() = default;
  virtual void refused(const turn_spec& t) = 0;
  virtual void admitted(const turn_spec& t) = 0;
  virtual void first_output(const turn_spec& t) = 0;
  virtual void ended(const turn_spec& t, turn_end how) = 0;
};

// How many turns the router holds: waiting in a thread queue, running (started, no terminal
// yet), and ended but still delivering their answer (`rendering`). Readable from any thread (e.g.
// a metrics scrape) while the router works.
struct router_load {
  std::size_t queued = 0, running = 0, rendering = 0;
};

class router {
 public:
  // `observer` (optional) must outlive the router.
  router(scheduler& sched, agent_starter& agents, router_limits limits = {},
         turn_observer* observer = nullptr);
  ~router();

  // A refused turn (other than a duplicate) still gets its one terminal event: error(busy_text).
  admission admit(turn_spec turn);
  // An agent payload (one thread_response JSON object). Returns "" or why it was rejected.
  std::string deliver(std::string_view payload_json);
  // Ends a running turn with an error (agent crashed, failed to spawn...). Exactly once per turn.
  void fail(const std::string& turn_id, std::string_view user_text);

  bool has_turn(const std::string& turn_id) const { return turns_.count(turn_id) != 0; }
  // The running turns of thread `base` and of the threads whose key is `base` + '\x1f' + more
  // (its epochs and side threads). Valid until the router changes.
  std::vector<const turn_spec*> running_in(std::string_view base) const;
  // Stops a running turn on request (/stop): its agent is told (cancel) and the turn ends with
  // one terminal error(user_text). False when the turn is not running.
  bool stop(const std::string& turn_id, std::string_view user_text);
  // Ends every admitted turn (running or queued) with `user_text`: shutdown.
  void fail_all(std::string_view user_text);
  std::size_t active() const { return turns_.size(); }
  const router_stats& stats() const { return stats_; }
  // Thread-safe (relaxed atomics mirrored from the router's own state).
  router_load load() const {
    return {queued_.load(std::memory_order_relaxed), running_.load(std::memory_order_relaxed),
            rendering_count_.load(std::memory_order_relaxed)};
  }

 private:
  struct turn_state {
    turn_spec spec;
    bool running = false;
    bool output_seen = false;  // a delta or content reached the output
    uint64_t timer = 0;
    std::chrono::milliseconds idle{0};  // its idle deadline (set as it starts)
    uint64_t total_timer = 0;           // its total deadline's timer (0 = none)
  };

  void start_next(const std::string& thread_key);
  void advance(const std::string& thread_key, const std::string& turn_id);
  void arm_idle(turn_state& t);
  void arm_total(turn_state& t, std::chrono::milliseconds total);
  // Takes the id by value: callers pass references into the turn this erases.
  void finish(std::string turn_id,  // NOLINT(performance-unnecessary-value-param): see above
              turn_end how, std::string_view error_text);
  void publish_load();  // mirrors the queued/running counts into the atomics load() reads
  bool slot_free() const {
    return limits_.max_running == 0 || running_count_ < limits_.max_running;
  }
  void start_waiting();   // gives free slots to the threads waiting for one, in order
  void hold_for_agent();  // an agent was at capacity: no start until a turn ends or agent_retry

  scheduler& sched_;
  agent_starter& agents_;
  router_limits limits_;
  turn_observer* observer_;
  std::map<std::string, turn_state> turns_;  // by turn id
  // thread key → turn ids; the head runs, or has ended and is still being rendered
  std::map<std::string, std::deque<std::string>> threads_;
  std::map<std::string, std::unique_ptr<turn_output>> rendering_;  // ended, not yet delivered
  // Recently finished turn ids (bounded FIFO), to tell a late payload from an unknown turn.
  std::unordered_set<std::string> finished_recently_;
  std::deque<std::string> finished_order_;
  router_stats stats_;
  std::size_t running_count_ = 0;
  // Threads whose head turn waits for a running slot, in order (a key may be stale: its head
  // started or ended meanwhile; start_next then does nothing).
  std::deque<std::string> waiting_;
  bool starting_waiting_ = false;  // start_waiting() is on the stack (no recursion)
  bool agent_full_ = false;        // an agent was at capacity: waiting threads hold
  bool ending_all_ = false;        // fail_all() is on the stack: nothing starts
  uint64_t agent_timer_ = 0;       // the agent_retry timer (0 = none)
  std::atomic<std::size_t> queued_{0}, running_{0}, rendering_count_{0};
};

}  // namespace patchbay::turns
