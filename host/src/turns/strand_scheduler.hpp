// turns::scheduler on a kit strand: the router's executor in the host. Timers are kit timers bound
// to the strand; cancel() destroys the timer, so a cancelled callback never runs.
// Thread safety: schedule()/cancel() must be called on the strand (the router's only context).
#pragma once

#include <map>
#include <memory>

#include "patchbay/kit/runtime.hpp"
#include "turns/router.hpp"

namespace patchbay::turns {

class strand_scheduler final : public turns::scheduler {
 public:
  strand_scheduler(kit::io_runtime& rt, kit::strand s) : rt_(rt), strand_(std::move(s)) {}
  uint64_t schedule(std::chrono::milliseconds delay, std::function<void()> fn) override {
    uint64_t id = next_++;
    auto t = std::make_unique<kit::timer>(rt_, strand_);
    t->after(delay, [this, id, fn = std::move(fn)](bool cancelled) {
      if (cancelled) return;
      auto it = timers_.find(id);
      if (it == timers_.end()) return;
      auto keep = std::move(it->second);  // the timer must outlive its own callback
      timers_.erase(it);
      fn();
      // `keep` is destroyed here, after the callback returned.
    });
    timers_.emplace(id, std::move(t));
    return id;
  }
  void cancel(uint64_t id) override { timers_.erase(id); }
  const kit::strand& strand() const { return strand_; }

 private:
  kit::io_runtime& rt_;
  kit::strand strand_;
  std::map<uint64_t, std::unique_ptr<kit::timer>> timers_;
  uint64_t next_ = 1;
};

}  // namespace patchbay::turns
