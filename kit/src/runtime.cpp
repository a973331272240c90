// io_runtime, strand, timer, signal_watch: thin wrappers over Asio (no Beast here).
#include "patchbay/kit/runtime.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace patchbay::kit {

namespace net = boost::asio;
using strand_executor = net::strand<net::io_context::executor_type>;

// ---------------------------------------------------------------------------------------------
// strand

struct strand::impl {
  explicit impl(net::io_context& ctx) : exec(net::make_strand(ctx)) {}
  strand_executor exec;
};

void strand::post(std::function<void()> fn) const {
  if (!impl_) throw std::logic_error("patchbay::kit::strand::post on an empty strand");
  if (!fn) return;
  net::post(impl_->exec, std::move(fn));
}

bool strand::running_in_this_thread() const { return impl_ && impl_->exec.running_in_this_thread(); }

// ---------------------------------------------------------------------------------------------
// io_runtime

struct io_runtime::impl {
  net::io_context ctx;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  std::mutex mtx;
  std::vector<std::thread> threads;
  bool stopped = false;
};

namespace {

void run_io(net::io_context& ctx) {
  // A handler that throws must not take the whole process down with std::terminate: report it and
  // keep the thread serving the context.
  for (;;) {
    try {
      ctx.run();
      return;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "patchbay kit: uncaught exception in an io handler: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "patchbay kit: uncaught non-standard exception in an io handler\n");
    }
  }
}

}  // namespace

io_runtime::io_runtime(unsigned threads) : impl_(std::make_unique<impl>()) {
  if (threads == 0) threads = 1;
  impl_->guard.emplace(impl_->ctx.get_executor());
  impl_->threads.reserve(threads);
  try {
    for (unsigned i = 0; i < threads; ++i) {
      impl_->threads.emplace_back([ctx = &impl_->ctx] { run_io(*ctx); });
    }
  } catch (...) {
    stop();
    throw;
  }
}

io_runtime::~io_runtime() { stop(); }

void io_runtime::post(std::function<void()> fn) {
  if (!fn) return;
  net::post(impl_->ctx, std::move(fn));
}

strand io_runtime::make_strand() {
  strand s;
  s.impl_ = std::make_shared<strand::impl>(impl_->ctx);
  return s;
}

void io_runtime::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mtx);
    if (impl_->stopped) return;
    impl_->stopped = true;
    impl_->guard.reset();
    impl_->ctx.stop();
    threads.swap(impl_->threads);
  }
  for (auto& t : threads) {
    if (t.get_id() == std::this_thread::get_id()) {
      // Contract violation (stop() from an io thread); avoid std::terminate from joining ourselves.
      t.detach();
    } else {
      t.join();
    }
  }
}

void* io_runtime::native_context() { return &impl_->ctx; }

// ---------------------------------------------------------------------------------------------
// timer
//
// The state lives in a shared impl that every pending wait handler co-owns, so a handler that was
// already queued when the timer object died only touches live memory; it sees `dead` and returns
// without calling the user's function. Each arm gets a generation number: a handler whose
// generation is no longer current (re-armed or cancelled meanwhile) reports cancelled=true even if
// its wait had completed successfully.

struct timer::impl {
  explicit impl(net::io_context& ctx) : t(ctx) {}
  std::mutex mtx;
  net::steady_timer t;
  std::optional<strand_executor> on;
  std::uint64_t gen = 0;
  bool dead = false;
};

timer::timer(io_runtime& rt)
    : impl_(std::make_shared<impl>(*static_cast<net::io_context*>(rt.native_context()))) {}

timer::timer(io_runtime& rt, const strand& on) : timer(rt) {
  if (on.impl_) impl_->on.emplace(on.impl_->exec);
}

timer::~timer() {
  if (!impl_) return;
  std::lock_guard lock(impl_->mtx);
  impl_->dead = true;
  ++impl_->gen;
  impl_->t.cancel();
}

void timer::after(std::chrono::milliseconds delay, std::function<void(bool cancelled)> fn) {
  auto self = impl_;
  std::lock_guard lock(self->mtx);
  if (self->dead) return;
  const std::uint64_t my_gen = ++self->gen;
  self->t.expires_after(delay);  // a previous pending wait completes with operation_aborted
  auto handler = [self, my_gen, fn = std::move(fn)](const boost::system::error_code& ec) mutable {
    bool cancelled = false;
    {
      std::lock_guard handler_lock(self->mtx);
      if (self->dead) return;
      cancelled = ec.failed() || my_gen != self->gen;
    }
    if (fn) fn(cancelled);
  };
  if (self->on) {
    self->t.async_wait(net::bind_executor(*self->on, std::move(handler)));
  } else {
    self->t.async_wait(std::move(handler));
  }
}

void timer::cancel() {
  std::lock_guard lock(impl_->mtx);
  ++impl_->gen;
  impl_->t.cancel();
}

// ---------------------------------------------------------------------------------------------
// signal_watch

struct signal_watch::impl {
  explicit impl(net::io_context& ctx) : set(ctx) {}
  std::mutex mtx;
  net::signal_set set;
  std::function<void(int)> fn;  // set once before the first wait, never modified afterwards
  bool dead = false;

  // Requires mtx held.
  static void arm(const std::shared_ptr<impl>& self) {
    self->set.async_wait([self](const boost::system::error_code& ec, int signal_number) {
      {
        std::lock_guard lock(self->mtx);
        if (self->dead || ec == net::error::operation_aborted) return;
      }
      if (!ec && self->fn) self->fn(signal_number);
      std::lock_guard lock(self->mtx);
      if (!self->dead) arm(self);
    });
  }
};

signal_watch::signal_watch(io_runtime& rt, std::initializer_list<int> signals, std::function<void(int)> fn)
    : impl_(std::make_shared<impl>(*static_cast<net::io_context*>(rt.native_context()))) {
  impl_->fn = std::move(fn);
  for (int s : signals) impl_->set.add(s);  // throws boost::system::system_error on failure
  std::lock_guard lock(impl_->mtx);
  impl::arm(impl_);
}

signal_watch::~signal_watch() {
  if (!impl_) return;
  std::lock_guard lock(impl_->mtx);
  impl_->dead = true;
  boost::system::error_code ec;
  impl_->set.cancel(ec);
  impl_->set.clear(ec);
}

}  // namespace patchbay::kit
