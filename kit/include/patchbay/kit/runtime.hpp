// patchbay kit: the I/O runtime (an io_context and its threads), strands, timers and signals,
// behind an interface that includes no Asio header. Only kit/src/*.cpp include Asio.
//
// Thread safety: io_runtime::post, strand::post and timer::cancel may be called from any thread.
// A timer's callback runs on the strand it was created with (or on the runtime if none).
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>

namespace patchbay::kit {

class io_runtime;

// Serializes the handlers posted to it; cheap to copy (copies share the same strand).
class strand {
 public:
  void post(std::function<void()> fn) const;
  bool running_in_this_thread() const;

 private:
  friend class io_runtime;
  friend class timer;
  struct impl;
  std::shared_ptr<impl> impl_;
};

// Owns an io_context and `threads` threads running it. Destruction stops and joins.
class io_runtime {
 public:
  explicit io_runtime(unsigned threads = 1);
  ~io_runtime();
  io_runtime(const io_runtime&) = delete;
  io_runtime& operator=(const io_runtime&) = delete;

  void post(std::function<void()> fn);
  strand make_strand();
  // Stops the io_context (pending handlers are abandoned: destroyed, never run, when the runtime
  // is destroyed) and joins the threads. Idempotent. Must not be called from one of the runtime's
  // own threads. Before returning, it settles the callbacks the kit still owes on this thread:
  // an unfinished http_fetch's `done` (error "aborted"), a pending http_server::stop's
  // `on_stopped`. Do not hold a lock those callbacks take while calling it.
  void stop();

  // For kit-internal code: the boost::asio::io_context*, type-erased.
  void* native_context();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// A one-shot, re-armable, cancellable timer. Destroying it cancels it.
class timer {
 public:
  explicit timer(io_runtime& rt);
  timer(io_runtime& rt, const strand& on);
  ~timer();
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;

  // Arms the timer (cancelling any previous arm, whose callback then runs with cancelled=true).
  void after(std::chrono::milliseconds delay, std::function<void(bool cancelled)> fn);
  void cancel();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

// Calls `fn(signal_number)` on the runtime each time one of `signals` arrives, until the returned
// handle is destroyed.
class signal_watch {
 public:
  signal_watch(io_runtime& rt, std::initializer_list<int> signals, std::function<void(int)> fn);
  ~signal_watch();
  signal_watch(const signal_watch&) = delete;
  signal_watch& operator=(const signal_watch&) = delete;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace patchbay::kit
