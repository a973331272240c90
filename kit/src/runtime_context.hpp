// The io_context behind every io_runtime, plus what the kit needs when the runtime stops (private
// header: kit/src only).
//
// io_runtime::stop() abandons pending handlers: they are destroyed only when the runtime is. Kit
// code that owes the application a callback (http_fetch's done, http_server's on_stopped) registers
// a stop hook, run by stop() on the thread that calls it, after the runtime's threads are joined
// (so the hook may touch strand-owned state: no handler runs any more).
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace patchbay::kit {
class io_runtime;
}

namespace patchbay::kit::detail {

class http_pool;

class stop_hooks {
 public:
  // Registers `fn` to run once when the runtime stops. Returns its id, or 0 (and registers nothing)
  // when the runtime is already stopping: the caller then acts at once itself.
  std::uint64_t on_stop(std::function<void()> fn);
  // Unregisters; harmless when the hook already ran or the id is 0.
  void cancel_on_stop(std::uint64_t id) noexcept;

 protected:
  // Marks the runtime stopping (no registration succeeds from here on) and returns the hooks.
  std::map<std::uint64_t, std::function<void()>> take_for_stop();
  void mark_stopping();

 private:
  std::mutex mtx_;
  bool stopping_ = false;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, std::function<void()>> hooks_;
};

// stop_hooks is the first base so that it outlives the io_context: destroying the io_context
// destroys the abandoned handlers, whose destructors may still cancel hooks.
class runtime_context : public stop_hooks, public boost::asio::io_context {
 public:
  runtime_context() = default;

  static runtime_context& of(io_runtime& rt);

  // Runs `fn` exactly once: on a runtime thread; or, if the runtime stops first, from the thread
  // that stops it; if it is already stopping, right here. Exceptions are reported, not thrown.
  void post_or_on_stop(std::function<void()> fn);

  // The HTTP client's keep-alive connections (http_pool.hpp: created on first use, closed by its
  // own stop hook). A member, so it goes before the io_context its sockets and timer belong to;
  // everything else holds it weakly.
  std::mutex http_pool_mtx;
  std::shared_ptr<http_pool> http_pool_ptr;

 private:
  friend class patchbay::kit::io_runtime;
  using stop_hooks::mark_stopping;
  using stop_hooks::take_for_stop;
};

}  // namespace patchbay::kit::detail
