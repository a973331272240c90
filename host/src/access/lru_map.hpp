// A map bounded by entry count: inserting beyond `capacity` evicts the least recently used entry,
// so a flood of distinct keys (senders) cannot grow memory. Not thread-safe (one owner).
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace patchbay::access {

template <typename V>
class lru_map {
 public:
  explicit lru_map(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The entry of `key`, created with `make()` when absent (evicting the oldest when full);
  // marks it most recently used.
  template <typename Make>
  V& get_or_create(const std::string& key, Make make) {
    if (auto it = index_.find(key); it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return it->second->second;
    }
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(key, make());
    index_.emplace(key, order_.begin());
    return order_.front().second;
  }
  V* find(const std::string& key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->second;
  }
  std::size_t size() const { return index_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  using entry = std::pair<std::string, V>;
  std::size_t capacity_;
  std::list<entry> order_;
  std::unordered_map<std::string, typename std::list<entry>::iterator> index_;
};

}  // namespace patchbay::access
