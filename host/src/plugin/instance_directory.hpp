// The channel instances by id: filled by the host as channels are configured and created, read by
// the HTTP routes (/hooks/<channel-id>, POST /v1/messages). Thread-safe. Knows the configured ids
// before any channel starts (expect), so that a callback for a channel that is configured but not
// running (yet, or any more) can be told apart from one for an unknown id. Holds weak references
// to the instances: a destroyed channel is not found, but stays expected.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace patchbay::plugin {
class channel_instance;
}

namespace patchbay::plugin {

class instance_directory {
 public:
  // `id` is configured: expected() is true from now on, before its instance exists.
  void expect(const std::string& id) {
    std::lock_guard lk(mu_);
    map_.try_emplace(id);
  }
  // The instance of `id` (which is expected from now on).
  void add(const std::string& id, std::weak_ptr<plugin::channel_instance> inst) {
    std::lock_guard lk(mu_);
    map_[id] = std::move(inst);
  }
  // `id` is no longer configured.
  void remove(const std::string& id) {
    std::lock_guard lk(mu_);
    map_.erase(id);
  }
  std::shared_ptr<plugin::channel_instance> find(const std::string& id) const {
    std::lock_guard lk(mu_);
    auto it = map_.find(id);
    return it == map_.end() ? nullptr : it->second.lock();
  }
  bool expected(const std::string& id) const {
    std::lock_guard lk(mu_);
    return map_.count(id) != 0;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::weak_ptr<plugin::channel_instance>> map_;
};

}  // namespace patchbay::plugin
