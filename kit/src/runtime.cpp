// io_runtime, strand, timer, signal_watch: thin wrappers over Asio (no Beast here).
#include "patchbay/kit/runtime.hpp"

#include "diagnostics_detail.hpp"
#include "runtime_context.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
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

bool strand::running_in_this_thread() const {
  return impl_ && impl_->exec.running_in_this_thread();
}

// ---------------------------------------------------------------------------------------------
// stop hooks (runtime_context.hpp)

namespace detail {

std::uint64_t stop_hooks::on_stop(std::function<void()> fn) {
  std::lock_guard lock(mtx_);
  if (stopping_) return 0;
  const std::uint64_t id = ++next_id_;
  hooks_.emplace(id, std::move(fn));
  return id;
}

void stop_hooks::cancel_on_stop(std::uint64_t id) noexcept {
  if (id == 0) return;
  std::function<void()> unused;  // released unlocked: it may own objects with their own destructors
  std::lock_guard lock(mtx_);
  const auto it = hooks_.find(id);
  if (it == hooks_.end()) return;
  unused = std::move(it->second);
  hooks_.erase(it);
}

void stop_hooks::mark_stopping() {
  std::lock_guard lock(mtx_);
  stopping_ = true;
}

std::map<std::uint64_t, std::function<void()>> stop_hooks::take_for_stop() {
  std::lock_guard lock(mtx_);
  stopping_ = true;
  return std::exchange(hooks_, {});
}

runtime_context& runtime_context::of(io_runtime& rt) {
  return static_cast<runtime_context&>(*static_cast<net::io_context*>(rt.native_context()));
}

namespace {

// Shared by the posted handler and the stop hook: whichever comes first runs the function. If
// neither runs (stop() called from an io thread, which skips the hooks), the last owner does.
struct once_state {
  explicit once_state(std::function<void()> f) : fn(std::move(f)) {}
  ~once_state() {
    if (!ran.exchange(true)) call_quietly("runtime callback", fn);
  }
  void run() {
    if (ran.exchange(true)) return;
    auto f = std::move(fn);
    fn = nullptr;
    call_quietly("runtime callback", f);
  }
  std::atomic<bool> ran{false};
  std::function<void()> fn;
};

}  // namespace

void runtime_context::post_or_on_stop(std::function<void()> fn) {
  auto st = std::make_shared<once_state>(std::move(fn));
  const std::uint64_t id = on_stop([st] { st->run(); });
  if (id == 0) {
    st->run();
    return;
  }
  net::post(*this, [this, st, id] {
    cancel_on_stop(id);
    st->run();
  });
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// io_runtime

struct io_runtime::impl {
  detail::runtime_context ctx;
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
    } catch (...) {
      detail::report_exception("uncaught exception in an io handler", std::current_exception());
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
      impl_->threads.emplace_back(
          [ctx = static_cast<net::io_context*>(&impl_->ctx)] { run_io(*ctx); });
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
    impl_->ctx.mark_stopping();  // from here on, kit code acts at once instead of registering hooks
    impl_->guard.reset();
    impl_->ctx.stop();
    threads.swap(impl_->threads);
  }
  bool joined_all = true;
  for (auto& t : threads) {
    if (t.get_id() == std::this_thread::get_id()) {
      // Contract violation (stop() from an io thread); avoid std::terminate from joining ourselves.
      t.detach();
      joined_all = false;
    } else {
      t.join();
    }
  }
  // No handler runs any more: settle what the kit owes the application (http_fetch's done,
  // http_server's on_stopped), here, on this thread. From an io thread the hooks are skipped (a
  // handler of ours is on the stack); those callbacks then run when the runtime is destroyed.
  if (!joined_all) return;
  for (auto& [id, fn] : impl_->ctx.take_for_stop()) detail::call_quietly("stop hook", fn);
}

void* io_runtime::native_context() { return static_cast<net::io_context*>(&impl_->ctx); }

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

signal_watch::signal_watch(io_runtime& rt, std::initializer_list<int> signals,
                           std::function<void(int)> fn)
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
