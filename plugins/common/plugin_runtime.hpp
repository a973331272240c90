// What every shipped plugin with a transport shares: one small I/O runtime per plugin .so (all
// instances of the plugin share it; no thread per instance), and a gate in front of the host API
// that is shut when an instance is destroyed, so nothing reaches the host afterwards.
//
// The runtime is refcounted: created with the first instance, stopped after the last one lets go.
// Release it only on a host thread (an instance's destructor), never on one of its own I/O
// threads, where stopping the runtime would join itself.
#pragma once

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>

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

}  // namespace patchbay::plugins
