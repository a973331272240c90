// What every shipped plugin with a transport shares: one small I/O runtime per plugin .so (all
// instances of the plugin share it; no thread per instance), a gate in front of the host API
// that is shut when an instance is destroyed, so nothing reaches the host afterwards, and the
// glue of the sdk::channel that holds an instance's transport object on that runtime.
//
// The runtime is refcounted: created with the first instance, stopped after the last one lets go.
// Release it only on a host thread (an instance's destructor), never on one of its own I/O
// threads, where stopping the runtime would join itself.
#pragma once

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "patchbay/kit/runtime.hpp"
#include "patchbay/plugin.hpp"

namespace patchbay::plugins {

// This plugin's runtime (at most 2 threads).
inline std::shared_ptr<kit::io_runtime> shared_runtime() {
  static std::mutex mu;
  static std::weak_ptr<kit::io_runtime> weak;
  std::lock_guard lock(mu);
  if (auto rt = weak.lock()) return rt;
  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 2u);
  auto rt = std::make_shared<kit::io_runtime>(threads);
  weak = rt;
  return rt;
}

// The host as an instance's transport may use it: every call is dropped once the gate is closed.
class host_gate {
 public:
  explicit host_gate(sdk::host h) : h_(h) {}
  template <class F>
  void with(F&& f) {
    std::lock_guard lock(mu_);
    if (open_) f(h_);
  }
  void close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }

 private:
  std::mutex mu_;
  bool open_ = true;
  sdk::host h_;
};

// Runs a config parser; the std::invalid_argument it throws for a bad config becomes the
// plugin_error the host expects at create ("<platform> config: <what>", never a value).
template <class Parse>
auto parse_config_or_refuse(std::string_view platform, Parse&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (const std::invalid_argument& e) {
    throw sdk::plugin_error(PB_ERR_INVALID_INPUT, std::string(platform) + " config: " + e.what());
  }
}

// An instance's transport object (`Impl`, constructed as Impl(runtime, host, args...) and owning
// a close()) on the plugin's shared runtime. Made after the runtime is taken; at destruction it is
// closed and released first, then the runtime: the last instance stops the runtime there, on a
// host thread (the sdk::channel's destructor), never on one of its I/O threads.
template <class Impl>
class runtime_bound {
 public:
  template <class... Args>
  explicit runtime_bound(sdk::host h, Args&&... args)
      : runtime_(shared_runtime()),
        impl_(std::make_shared<Impl>(*runtime_, h, std::forward<Args>(args)...)) {}
  ~runtime_bound() {
    impl_->close();
    impl_.reset();
    runtime_.reset();
  }
  runtime_bound(const runtime_bound&) = delete;
  runtime_bound& operator=(const runtime_bound&) = delete;

  Impl* operator->() const { return impl_.get(); }

 private:
  std::shared_ptr<kit::io_runtime> runtime_;  // declared first: outlives the impl
  std::shared_ptr<Impl> impl_;
};

}  // namespace patchbay::plugins
