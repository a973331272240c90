// What the C++ test plugins of the zoo that finish work later (good_plugin.cpp, media_plugin.cpp)
// share: completions run on threads of the plugin's own, joined when the instance stops and when
// it goes away, and the stop such a plugin does (join, report STOPPED, complete). Header-only:
// each plugin stays a .so of its own that exports only its entry symbol (patchbay_add_plugin's
// version script).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "patchbay/plugin.hpp"

namespace zoo {

class threaded_channel : public patchbay::sdk::channel {
 public:
  using channel::channel;
  ~threaded_channel() override { join(); }
  threaded_channel(const threaded_channel&) = delete;
  threaded_channel& operator=(const threaded_channel&) = delete;

  void stop(std::chrono::milliseconds /*deadline*/, patchbay::sdk::stop_completion done) override {
    join();
    host().report_status(PB_STATE_STOPPED);
    done();
  }

 protected:
  // Runs `fn` on a thread of its own (joined by stop and by the destructor).
  void later(std::function<void()> fn) {
    std::lock_guard lk(mu_);
    threads_.emplace_back(std::move(fn));
  }

  void join() {
    std::vector<std::thread> ts;
    {
      std::lock_guard lk(mu_);
      ts.swap(threads_);
    }
    for (auto& t : ts) t.join();
  }

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

}  // namespace zoo
