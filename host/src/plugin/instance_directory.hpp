// The running channel instances by id: filled by the host as channels are created, read by the
// HTTP routes (/hooks/<channel-id>, POST /v1/messages). Thread-safe. Holds weak references: a
// destroyed channel is not found.
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
  void add(const std::string& id, std::weak_ptr<plugin::channel_instance> inst) {
    std::lock_guard lk(mu_);
    map_[id] = std::move(inst);
  }
  void remove(const std::string& id) {
    std::lock_guard lk(mu_);
    map_.erase(id);
  }
  std::shared_ptr<plugin::channel_instance> find(const std::string& id) const {
    std::lock_guard lk(mu_);
    auto it = map_.find(id);
    return it == map_.end() ? nullptr : it->second.lock();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::weak_ptr<plugin::channel_instance>> map_;
};

}  // namespace patchbay::plugin
